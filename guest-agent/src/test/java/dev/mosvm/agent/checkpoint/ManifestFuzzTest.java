package dev.mosvm.agent.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mosvm.agent.wire.Mutations;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * The manifest reader against what a broken disk or another pool node could leave in a
 * checkpoint's directory: random bytes, and valid manifests with bytes or JSON values changed,
 * removed or added. It either reads a manifest or refuses it with a {@link CheckpointException};
 * any other exception fails the property. And a manifest it reads whose MAC still holds is the
 * one that was sealed: no change of a field gets past the MAC.
 */
class ManifestFuzzTest {
    static final int TRIES = 10_000;
    private static final CheckpointManifest SEALED = CheckpointSamples.sealed();
    private static final byte[] VALID = SEALED.toJson();

    @Property(tries = TRIES)
    void theReaderReadsOrRefusesAndTheMacHolds(@ForAll("manifests") byte[] input) {
        String outcome;
        try {
            CheckpointManifest m = CheckpointManifest.parse(input, "checkpoint ca.17/3");
            if (m.signedWith(CheckpointSamples.KEY)) {
                assertEquals(SEALED, m, "a changed manifest that passes its MAC");
                outcome = "read, sealed";
            } else {
                outcome = "read, MAC fails";
            }
        } catch (CheckpointException e) {
            assertEquals(-1, e.getMessage().indexOf('\n'), "a refusal of more than one line: " + e.getMessage());
            outcome = "refused";
        }
        Statistics.label("outcome").collect(outcome);
        Statistics.label("outcome").coverage(c -> {
            c.check("read, MAC fails").percentage(p -> p >= 1); // the fuzzing gets past the field checks
            c.check("refused").percentage(p -> p >= 10);
        });
    }

    @Provide
    Arbitrary<byte[]> manifests() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(600);
        Arbitrary<byte[]> bytesChanged = Arbitraries.longs().map(seed -> Mutations.bytes(VALID, List.of(VALID), new SplittableRandom(seed)));
        Arbitrary<byte[]> valuesChanged = Arbitraries.longs().map(seed -> Mutations.json(VALID, new SplittableRandom(seed)));
        return Arbitraries.frequencyOf(Tuple.of(1, random), Tuple.of(3, bytesChanged), Tuple.of(4, valuesChanged));
    }
}
