package dev.mosvm.api;

import java.util.regex.Pattern;

/**
 * Where a member's WireGuard port is reached: a host (IPv4 literal or DNS name) and a UDP port.
 * Endpoints arrive from the network (join requests, gossip entries), so {@link #parse} checks
 * every one before it reaches {@code wg}.
 */
public record Endpoint(String host, int port) {
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}");
    private static final Pattern NAME = Pattern.compile("(?=.{1,63}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");
    /** Fits a gossip string (64 bytes) with its port. */
    public static final int MAX_LENGTH = 63;

    public Endpoint {
        if (host == null || !(IPV4.matcher(host).matches() || (NAME.matcher(host).matches() && !host.matches("[\\d.]+")))) {
            throw new IllegalArgumentException("invalid endpoint host '" + host + "'");
        }
        if (port < 1 || port > 65535) throw new IllegalArgumentException("invalid endpoint port " + port);
        if (host.length() + 1 + String.valueOf(port).length() > MAX_LENGTH) throw new IllegalArgumentException("longer than " + MAX_LENGTH + " characters");
    }

    /** "HOST:PORT", or an error naming what is wrong. */
    public static Endpoint parse(String s) {
        if (s == null) throw new IllegalArgumentException("no endpoint");
        if (s.length() > MAX_LENGTH) throw new IllegalArgumentException("longer than " + MAX_LENGTH + " characters");
        int colon = s.lastIndexOf(':');
        if (colon < 1 || colon == s.length() - 1) throw new IllegalArgumentException("invalid endpoint '" + s + "': use HOST:PORT");
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid endpoint '" + s + "': the port is not a number");
        }
        return new Endpoint(s.substring(0, colon), port);
    }

    /** The endpoint in {@code s}, or null for null or anything invalid (an entry from the network keeps the rest of it). */
    public static Endpoint parseOrNull(String s) {
        try {
            return s == null ? null : parse(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
