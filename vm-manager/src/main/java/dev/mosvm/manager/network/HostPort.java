package dev.mosvm.manager.network;

import java.util.regex.Pattern;

/**
 * A host and port a user typed: {@code mosvm join ADDRESS[:PORT]}, {@code mosvm up --endpoint
 * HOST:PORT}. The host is an IPv4 literal or a host name (RFC 1123 labels); IPv6 is not taken.
 */
public record HostPort(String host, int port) {
    private static final Pattern IPV4 = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    @Override
    public String toString() {
        return host + ":" + port;
    }

    /** HOST or HOST:PORT, the port {@code defaultPort} when none is given. */
    public static HostPort parse(String s, int defaultPort) {
        return parse(s, defaultPort, false);
    }

    /** HOST:PORT, the port required. */
    public static HostPort parseWithPort(String s) {
        return parse(s, 0, true);
    }

    private static HostPort parse(String s, int defaultPort, boolean portRequired) {
        if (s == null || s.isEmpty()) throw new IllegalArgumentException("it is empty");
        if (s.indexOf(':') != s.lastIndexOf(':') || s.startsWith("[")) throw new IllegalArgumentException("IPv6 addresses are not supported");
        int colon = s.indexOf(':');
        String host = colon < 0 ? s : s.substring(0, colon);
        if (colon < 0 && portRequired) throw new IllegalArgumentException("no port");
        int port = colon < 0 ? defaultPort : port(s.substring(colon + 1));
        if (!validHost(host)) throw new IllegalArgumentException("'" + host + "' is neither a host name nor an IPv4 address");
        return new HostPort(host, port);
    }

    private static int port(String p) {
        if (!p.matches("[0-9]{1,5}") || Integer.parseInt(p) < 1 || Integer.parseInt(p) > 65535) {
            throw new IllegalArgumentException("port '" + p + "' is not 1 to 65535");
        }
        return Integer.parseInt(p);
    }

    /** An IPv4 literal (four decimal octets, no leading zeros) or a host name whose last label is not all digits. */
    static boolean validHost(String h) {
        if (IPV4.matcher(h).matches()) {
            for (String octet : h.split("\\.")) if (Integer.parseInt(octet) > 255) return false;
            return true;
        }
        if (h.isEmpty() || h.length() > 253) return false;
        String[] labels = h.split("\\.", -1);
        for (String l : labels) if (!LABEL.matcher(l).matches()) return false;
        return !labels[labels.length - 1].matches("[0-9]+");
    }
}
