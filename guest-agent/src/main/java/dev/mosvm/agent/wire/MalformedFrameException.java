package dev.mosvm.agent.wire;

import java.io.IOException;

/**
 * Input that is not valid in the agents' wire format: a frame, request or image stream that
 * breaks a rule of this package (unknown type, a length over its limit, a truncated frame, a
 * payload of the wrong shape, a request without what its op needs, an image path outside the
 * migration's directory, a file whose checksum does not match). The reason names the first
 * problem. It is an {@link IOException} so a connection's reader handles it where it handles a
 * dropped connection: either way the conversation is over.
 */
public final class MalformedFrameException extends IOException {
    public MalformedFrameException(String reason) {
        super(reason);
    }

    /** A peer's text as a reason repeats it: cut short. */
    static String quoted(String text) {
        return text.length() <= WireLimits.MAX_QUOTED_CHARS ? text : text.substring(0, WireLimits.MAX_QUOTED_CHARS) + "...";
    }
}
