package dev.mosvm.agent.wire;

import java.io.IOException;

/** The agent at the other end speaks another version of the protocol: the connection is refused, not misread. */
public final class ProtocolMismatchException extends IOException {
    public ProtocolMismatchException(String message) {
        super(message);
    }
}
