package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.OutputPosition;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A job's last output, kept for the agent that adopts it: sent again whole, positioned, within its bound. */
class OutputTailTest {
    @TempDir
    Path dir;

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void append(OutputTail t, int stream, String s) {
        byte[] b = bytes(s);
        t.append(stream, b, b.length);
    }

    /** The replayed frames, a POSITION as "@out,err" and chunks as "O:text" / "E:text". */
    static List<String> replay(OutputTail t, long outBefore, long errBefore) throws Exception {
        return replay(t, outBefore, errBefore, null);
    }

    static List<String> replay(OutputTail t, long outBefore, long errBefore, long[] upTo) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        t.replayTo(new DataOutputStream(b), outBefore, errBefore, upTo);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(b.toByteArray()));
        List<String> frames = new ArrayList<>();
        for (Frame f; (f = FrameCodec.read(in)) != null; ) {
            if (f.type() == MessageType.POSITION) {
                OutputPosition p = OutputPosition.of(f);
                frames.add("@" + p.out() + "," + p.err());
            } else {
                frames.add((f.type() == MessageType.STDERR ? "E:" : "O:") + new String(f.payload(), StandardCharsets.UTF_8));
            }
        }
        return frames;
    }

    /** "one", "oops" on stderr, "two". */
    OutputTail threeChunks() throws Exception {
        OutputTail t = OutputTail.fresh(dir);
        append(t, OutputCounts.STDOUT, "one\n");
        append(t, OutputCounts.STDERR, "oops\n");
        append(t, OutputCounts.STDOUT, "two\n");
        return t;
    }

    @Test
    void theTailIsSentAgainFromItsPositionMovedOnByWhatTheJobWroteBeforeThisCopy() throws Exception {
        OutputTail t = threeChunks();
        assertEquals(List.of("@100,7", "O:one\n", "E:oops\n", "O:two\n"), replay(t, 100, 7));
        assertArrayEquals(new long[] {8, 5}, t.end());
    }

    @Test
    void itKeepsBetweenOneAndTwoGenerationsOfTheLatestOutput() throws Exception {
        OutputTail t = OutputTail.fresh(dir, 64);
        for (int i = 0; i < 20; i++) append(t, OutputCounts.STDOUT, "line" + (char) ('a' + i) + "\n"); // 6 bytes each, frames of 11
        List<String> r = replay(t, 0, 0);
        long bytes = Files.size(dir.resolve(OutputTail.CURRENT)) + Files.size(dir.resolve(OutputTail.PREVIOUS));
        assertTrue(bytes <= 2 * 64, bytes + " bytes kept");
        assertEquals("O:linet\n", r.get(r.size() - 1), "the latest is kept");
        // each generation begins with where it stands: the oldest kept line is at its offset
        int first = r.get(1).charAt(6) - 'a';
        assertEquals("@" + first * 6 + ",0", r.get(0));
        assertTrue(r.size() - 2 >= 64 / 11 - 1, "at least a generation's worth: " + r);
    }

    @Test
    void theNextAgentGoesOnFromTheLastWholeChunkAndDropsOneCutShort() throws Exception {
        OutputTail old = OutputTail.fresh(dir);
        append(old, OutputCounts.STDOUT, "kept\n");
        old.close();
        // the agent died in the middle of writing a chunk: its header and half its bytes
        Files.write(dir.resolve(OutputTail.CURRENT), new byte[] {1, 0, 0, 0, 9, 'h', 'a'}, StandardOpenOption.APPEND);
        OutputTail next = OutputTail.resume(dir, new long[] {5, 0});
        assertArrayEquals(new long[] {5, 0}, next.end());
        append(next, OutputCounts.STDOUT, "more\n");
        assertEquals(List.of("@0,0", "O:kept\n", "O:more\n"), replay(next, 0, 0));
    }

    @Test
    void withoutATailTheNextAgentStartsOneWhereTheCountsStand() throws Exception {
        OutputTail next = OutputTail.resume(dir, new long[] {40, 2});
        append(next, OutputCounts.STDERR, "e\n");
        assertEquals(List.of("@40,2", "E:e\n"), replay(next, 0, 0));
    }

    @Test
    void aClosedTailKeepsWhatItHadAndTakesNoMore() throws Exception {
        OutputTail t = OutputTail.fresh(dir);
        append(t, OutputCounts.STDOUT, "a\n");
        t.close();
        append(t, OutputCounts.STDOUT, "b\n");
        assertEquals(List.of("@0,0", "O:a\n"), replay(t, 0, 0));
    }

    @Test
    void aReplayStopsWhereTheSpoolBegins() throws Exception {
        List<String> frames = replay(threeChunks(), 10, 0, new long[] {16, 2}); // the spool begins at stdout 16 and stderr 2
        assertEquals(List.of("@10,0", "O:one\n", "E:oo", "O:tw"), frames);
    }
}
