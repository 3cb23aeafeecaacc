package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * What the manager hands the guest at {@code up} (through QEMU fw_cfg, readable only by
 * root in the guest): the node's name, the per-instance secret every request must carry,
 * and the TLS identity the agent serves with (PKCS#12, base64) whose certificate the host pins.
 *
 * <p>{@code overlayEndpoint} is where other workstations' appliances reach this one's WireGuard
 * port ("HOST:PORT": the host's LAN address and the UDP port forwarded to the guest, or what
 * {@code mosvm up --endpoint} gave), and {@code overlayPort} the guest's own WireGuard port,
 * which must be the forward's guest port so that its packets leave through that forward (0: the
 * default, {@link #OVERLAY_PORT}). Null and 0 for an appliance whose own address is reachable
 * (libvirt's network): the agent then advertises that address and the default port.
 * {@link #NO_ENDPOINT} says nothing outside reaches it: it advertises none.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record GuestConfig(String node, String secret, String tlsKeystoreBase64, String tlsKeystorePassword,
                          String overlayEndpoint, int overlayPort) {
    /** {@code overlayEndpoint} of an appliance nothing reaches from outside (`mosvm up --endpoint none`). */
    public static final String NO_ENDPOINT = "none";

    /** WireGuard's customary port. */
    public static final int OVERLAY_PORT = 51820;

    public GuestConfig(String node, String secret, String tlsKeystoreBase64, String tlsKeystorePassword) {
        this(node, secret, tlsKeystoreBase64, tlsKeystorePassword, null, 0);
    }

    @Override
    public String toString() {
        return "GuestConfig[node=" + node + ", secret=<redacted>]";
    }
}
