package dev.mosvm.builder.steps;

import dev.mosvm.builder.BuildException;
import dev.mosvm.builder.ProcessRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Debian root filesystem with the recipe's packages, by mmdebstrap. */
public final class Bootstrap implements BuildStep {
    static final Path HOST_SOURCES = Path.of("/etc/apt/sources.list.d/debian.sources");
    private static final Pattern MISSING = Pattern.compile("Unable to locate package (\\S+)|Package '?(\\S+?)'? has no installation candidate");

    @Override public String description() { return "Bootstrapping Debian " + "and packages (mmdebstrap)"; }

    @Override
    public void run(BuildContext ctx) throws Exception {
        Files.createDirectories(ctx.rootfs());
        List<String> cmd = command(ctx);
        ProcessRunner.Result r = ProcessRunner.run(cmd, line -> {
            if (line.startsWith("I: ")) ctx.progress.detail(line.substring(3));
        });
        if (r.exit() != 0) {
            for (String line : r.tail()) {
                Matcher m = MISSING.matcher(line);
                if (m.find()) {
                    String pkg = m.group(1) != null ? m.group(1) : m.group(2);
                    throw new BuildException("package '" + pkg + "' was not found in the archive",
                            "check `packages` in " + ctx.recipeFile + " (suite " + ctx.recipe.suite() + ")");
                }
            }
            throw new BuildException("mmdebstrap failed (exit " + r.exit() + ")",
                    "its last lines:\n" + r.tailText());
        }
    }

    static List<String> command(BuildContext ctx) {
        List<String> cmd = new ArrayList<>(List.of("mmdebstrap", "--mode=root", "--variant=" + variantOf(ctx),
                "--include=" + String.join(",", ctx.recipe.packages())));
        for (String p : ctx.recipe.excludePaths()) cmd.add("--dpkgopt=path-exclude=" + p);
        for (String p : ctx.recipe.keepPaths()) cmd.add("--dpkgopt=path-include=" + p);
        // Excluding man pages breaks the JRE's postinst (update-alternatives wants man1).
        cmd.add("--essential-hook=mkdir -p \"$1/usr/share/man/man1\"");
        cmd.add(ctx.recipe.suite());
        cmd.add(ctx.rootfs().toString());
        String mirror = ctx.recipe.mirror();
        if (mirror != null && !mirror.isBlank()) {
            cmd.add(mirror);
        } else if (Files.isReadable(HOST_SOURCES)) {
            // the host's mirror, and the settings that reach it: mmdebstrap keeps each --aptopt in
            // the guest's apt.conf.d, so `apt-get` in the appliance goes where the host's does
            for (String opt : hostAcquireOptions(hostAptConfig())) cmd.add(cmd.size() - 2, "--aptopt=" + opt);
            cmd.add(HOST_SOURCES.toString());
        }
        return cmd;
    }

    /** Settings of the host's apt that decide whether its mirror can be reached and trusted as it is. */
    static final List<String> ACQUIRE_KEYS = List.of("Acquire::http::Proxy", "Acquire::https::Proxy", "Acquire::Check-Valid-Until",
            "Acquire::Check-Date", "Acquire::ForceIPv4");

    /**
     * The lines of {@code apt-config dump} output that set one of {@link #ACQUIRE_KEYS}, as apt.conf
     * statements; not a proxy on the host's loopback (the guest cannot reach it) or one with
     * credentials in it (the image's apt.conf.d is world-readable).
     */
    static List<String> hostAcquireOptions(String dump) {
        List<String> out = new ArrayList<>();
        for (String line : dump.split("\n")) {
            for (String key : ACQUIRE_KEYS) {
                if (!line.startsWith(key + " \"") || !line.endsWith(";")) continue;
                boolean proxy = key.endsWith("::Proxy");
                if (proxy && (line.contains("@") || line.matches(".*//(localhost|127\\.[0-9.]+|\\[::1\\])[:/\"].*"))) continue;
                out.add(line);
            }
        }
        return out;
    }

    private static String hostAptConfig() {
        try {
            StringBuilder all = new StringBuilder();
            ProcessRunner.Result r = ProcessRunner.run(List.of("apt-config", "dump"), line -> all.append(line).append('\n'));
            return r.exit() == 0 ? all.toString() : "";
        } catch (Exception e) {
            return ""; // no apt on this host: nothing to carry over
        }
    }

    private static String variantOf(BuildContext ctx) {
        return ctx.recipe.variant() == null || ctx.recipe.variant().isBlank() ? "essential" : ctx.recipe.variant();
    }
}
