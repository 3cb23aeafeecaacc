package dev.mosvm.builder.steps;

import java.util.List;

/** Test access to the package-private mmdebstrap command line. */
public final class BootstrapAccess {
    private BootstrapAccess() {}

    public static List<String> command(BuildContext ctx) {
        return Bootstrap.command(ctx);
    }

    public static List<String> hostAcquireOptions(String aptConfigDump) {
        return Bootstrap.hostAcquireOptions(aptConfigDump);
    }
}
