package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** CriuStats against a stats-dump image written by the appliance's CRIU 3.17 (criu dump --display-stats said the figures). */
class CriuStatsTest {
    static byte[] image() throws IOException {
        try (InputStream in = CriuStatsTest.class.getResourceAsStream("/criu/stats-dump")) {
            return in.readAllBytes();
        }
    }

    @Test
    void readsWhatCriuDisplayedOfTheDump() throws IOException {
        // Freezing time: 12843 us, Frozen time: 242570 us, Memory pages written: 30
        CriuStats s = CriuStats.parse(image());
        assertEquals(12843, s.freezingMicros());
        assertEquals(242570, s.frozenMicros());
        assertEquals(30, s.pagesWritten());
        assertEquals(12843 + 242570, s.stoppedMicros());
    }

    @Test
    void aTruncatedImageIsAnErrorNotAFigure() throws IOException {
        byte[] whole = image();
        assertThrows(IOException.class, () -> CriuStats.parse(Arrays.copyOf(whole, whole.length - 5)));
        assertThrows(IOException.class, () -> CriuStats.parse(new byte[3]));
    }
}
