package dev.mosvm.agent.overlay;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code wg show IFACE dump} says about the interface's peers: one tab-separated line for
 * the interface (private key, public key, port, fwmark), then one per peer (public key,
 * preshared key, endpoint, allowed IPs, latest handshake in epoch seconds, bytes received,
 * bytes sent, keepalive), "(none)" where unset ({@code wg(8)}).
 */
public final class WgDump {
    private WgDump() {}

    /** One peer as the kernel has it; {@code endpoint} is null when none is known yet. */
    public record Peer(String key, String endpoint, List<String> allowedIps, long latestHandshakeSeconds, long received, long sent) {}

    public static List<Peer> parse(String dump) {
        List<Peer> peers = new ArrayList<>();
        String[] lines = dump.strip().split("\n");
        for (int i = 1; i < lines.length; i++) { // the first line is the interface's
            String[] f = lines[i].split("\t");
            if (f.length < 8) throw new IllegalArgumentException("unexpected wg dump line: " + f.length + " fields");
            List<String> allowed = "(none)".equals(f[3]) ? List.of() : List.of(f[3].split(","));
            peers.add(new Peer(f[0], "(none)".equals(f[2]) ? null : f[2], allowed, Long.parseLong(f[4]), Long.parseLong(f[5]),
                    Long.parseLong(f[6])));
        }
        return peers;
    }
}
