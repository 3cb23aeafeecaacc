package dev.mosvm.agent.overlay;

import dev.mosvm.api.Endpoint;

import java.io.IOException;
import java.net.Inet4Address;
import java.util.Collection;

/**
 * This node's end of the pool's overlay: its WireGuard key, where others reach it, and the
 * interface that carries the pool's traffic. {@link WireGuardDevice} in an appliance; tests
 * record what was asked.
 */
public interface OverlayDevice {
    /** This node's WireGuard public key (base64). */
    String publicKey();

    /** Where other members reach this node's WireGuard port; null while it has no address to give. */
    Endpoint endpoint();

    /** Brings the interface up with this node's overlay address (again after a restart: it replaces what is there). */
    void up(Inet4Address address) throws IOException;

    /** Makes the interface's peers these members. */
    void peers(Collection<OverlayPeer> members) throws IOException;

    /** Removes the interface (this node left its pool). */
    void down() throws IOException;

    /** The kernel's view of the peers, for {@code mosvm nodes}; empty when the interface is down. */
    Collection<WgDump.Peer> status() throws IOException;
}
