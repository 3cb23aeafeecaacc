package dev.mosvm.manager.cli;

import picocli.CommandLine;

final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = MosvmCommand.class.getPackage().getImplementationVersion();
        return new String[] {"mosvm " + (v == null ? "dev" : v)};
    }
}
