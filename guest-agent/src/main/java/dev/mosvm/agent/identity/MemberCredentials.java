package dev.mosvm.agent.identity;

/**
 * What a member shows and checks on the peer channel: its own identity and certificate, and
 * the check it applies to its peers'.
 */
public record MemberCredentials(NodeIdentity identity, byte[] certificate, MemberCheck check) {
    public MemberCredentials {
        certificate = certificate.clone();
    }

    @Override
    public byte[] certificate() {
        return certificate.clone();
    }
}
