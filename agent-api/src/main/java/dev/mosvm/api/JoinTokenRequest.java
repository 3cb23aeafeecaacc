package dev.mosvm.api;

/**
 * What the founder's workstation asks of its join tokens: {@code create} one that admits
 * {@code uses} nodes (1 to {@link #MAX_USES}) until {@code ttlSeconds} from now, {@code list}
 * the live ones, or {@code revoke} the one named {@code id}.
 */
public record JoinTokenRequest(String action, Integer uses, Long ttlSeconds, String id) {
    public static final int MAX_USES = 1000;
    public static final long MIN_TTL_SECONDS = 60;
    public static final long MAX_TTL_SECONDS = 30L * 24 * 3600;

    public static JoinTokenRequest create(int uses, long ttlSeconds) {
        return new JoinTokenRequest("create", uses, ttlSeconds, null);
    }

    public static JoinTokenRequest list() {
        return new JoinTokenRequest("list", null, null, null);
    }

    public static JoinTokenRequest revoke(String id) {
        return new JoinTokenRequest("revoke", null, null, id);
    }
}
