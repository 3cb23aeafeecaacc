package dev.mosvm.builder;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/** Runs an external command, streaming its output lines and keeping the last few for errors. */
public final class ProcessRunner {
    private ProcessRunner() {}

    public record Result(int exit, List<String> tail) {
        public String tailText() {
            return String.join("\n", tail);
        }
    }

    public static Result run(List<String> command, Consumer<String> lines) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        Deque<String> tail = new ArrayDeque<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (tail.size() == 40) tail.removeFirst();
                tail.addLast(line);
                lines.accept(line);
            }
        } finally {
            if (p.isAlive()) p.destroyForcibly();
        }
        return new Result(p.waitFor(), List.copyOf(tail));
    }

    /** Runs and fails with {@code what} and the output's tail when the exit status is not 0. */
    public static Result check(List<String> command, String what, Consumer<String> lines)
            throws IOException, InterruptedException, BuildException {
        Result r = run(command, lines);
        if (r.exit() != 0) {
            throw new BuildException(what + " failed (exit " + r.exit() + "): " + lastLine(r), "full command: "
                    + String.join(" ", command) + "\n" + r.tailText());
        }
        return r;
    }

    static String lastLine(Result r) {
        for (int i = r.tail().size() - 1; i >= 0; i--) {
            String l = r.tail().get(i).strip();
            if (!l.isEmpty()) return l;
        }
        return "(no output)";
    }

    public static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(":")) {
            if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, tool))) return true;
        }
        return java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/sbin", tool))
                || java.nio.file.Files.isExecutable(java.nio.file.Path.of("/sbin", tool));
    }
}
