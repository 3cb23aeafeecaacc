package dev.mosvm.manager.e2e;

import java.nio.charset.StandardCharsets;

/**
 * A user of this host for tests that serve host folders as someone who ran sudo: the host's
 * sftp-server serves only as a user the host has. Made for the test when there is none of that
 * name (with the wanted uid where it is free), and removed again by {@link #close}.
 */
record HostAccount(String name, int uid, int gid, boolean made) implements AutoCloseable {
    static HostAccount ensure(String name, int wantedUid) throws Exception {
        boolean made = false;
        if (host("id -u " + name).exit() != 0) {
            made = host("getent passwd " + wantedUid + " >/dev/null && useradd -M -s /usr/sbin/nologin " + name + " || useradd -M -u " + wantedUid
                    + " -s /usr/sbin/nologin " + name).exit() == 0;
        }
        return new HostAccount(name, Integer.parseInt(host("id -u " + name).out().strip()), Integer.parseInt(host("id -g " + name).out().strip()), made);
    }

    /** {@code cli} as this user's `sudo mosvm` would run. */
    MosvmCli sudo(MosvmCli cli) {
        return cli.with("SUDO_USER", name).with("SUDO_UID", String.valueOf(uid)).with("SUDO_GID", String.valueOf(gid));
    }

    @Override
    public void close() throws Exception {
        if (made) host("userdel " + name);
    }

    /** A command on this host, as root. */
    static MosvmCli.Result host(String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new MosvmCli.Result(p.waitFor(), out, err);
    }
}
