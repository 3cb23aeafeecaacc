package dev.mosvm.api;

import java.util.List;

/**
 * The founder's live join tokens, by id (never their secrets, which it does not keep), and the
 * secret of the token just issued ({@code issued}, null for a list or a revocation).
 */
public record JoinTokenList(String pool, String issued, List<Token> tokens) {
    /** A live token: its id (the first 12 hex digits of its secret's SHA-256), when it expires (epoch seconds), how many more nodes it admits. */
    public record Token(String id, long expiresAt, int usesLeft) {}
}
