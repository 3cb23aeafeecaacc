package dev.mosvm.agent.migrate;

import dev.mosvm.agent.layout.GuestLayout;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The commands that run CRIU on one end of a page stream through {@code mosvm-pagelink}
 * (images/files/usr/local/src): it opens the TCP connection, gives CRIU a loopback socket as
 * descriptor 3, and relays between the two, sealing records with the round's
 * {@link PageStreamKeys} in native code (ChaCha20-Poly1305), so pages never pass through this JVM.
 * In a pool founded with {@code --page-streams plain} it gives CRIU the connection itself
 * instead: no relay, no cipher, several times faster under TCG (see the tool's header).
 */
final class PageLink {
    static final String TOOL = GuestLayout.PAGE_LINK.toString();
    /** The descriptor mosvm-pagelink gives CRIU the connection on. */
    private static final List<String> SOCKET = List.of("--ps-socket", "3");

    /** What mosvm-pagelink reads instead of keys for a plain stream, and how PAGES_READY says so. */
    static final String PLAIN = "plain";

    private PageLink() {}

    /** The target's part of PAGES_READY after its port: the round's keys, or that the stream goes plain. */
    static String wire(PageStreamKeys keys) {
        return keys == null ? PLAIN : keys.wire();
    }

    /**
     * The source's mosvm-pagelink input for the target's PAGES_READY {@code wire}. A plain stream
     * only where this node's own pool allows it: a target cannot talk a source into sending a
     * job's memory in the clear.
     */
    static String sourceLine(String wire, boolean plainAllowed, String target) throws java.io.IOException {
        if (!PLAIN.equals(wire)) return PageStreamKeys.fromWire(wire).sourceLine();
        if (!plainAllowed) throw new java.io.IOException(target + " asked for an unsealed page stream, but this pool seals them");
        return PLAIN + "\n";
    }

    /** The target's mosvm-pagelink input: its side of {@code keys}, or plain (null). */
    static String targetLine(PageStreamKeys keys) {
        return keys == null ? PLAIN + "\n" : keys.targetLine();
    }

    /** The target's page server for one round: takes the one connection from {@code source}. */
    static List<String> pageServer(InetAddress self, InetAddress source, List<String> criu) {
        return wrap(List.of("listen", self.getHostAddress(), source.getHostAddress()), criu);
    }

    /** The source's {@code criu pre-dump|dump}, writing into the target's page server at {@code port}. */
    static List<String> toPageServer(InetAddress target, int port, List<String> criu) {
        return wrap(List.of("connect", target.getHostAddress(), String.valueOf(port)), criu);
    }

    private static List<String> wrap(List<String> link, List<String> criu) {
        List<String> cmd = new ArrayList<>();
        cmd.add(TOOL);
        cmd.addAll(link);
        cmd.add("--");
        cmd.add("criu");
        cmd.addAll(criu);
        cmd.addAll(SOCKET);
        return cmd;
    }
}
