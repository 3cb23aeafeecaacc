package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * What the manager hands the guest at {@code up} (through QEMU fw_cfg, readable only by
 * root in the guest): the node's name, the per-instance secret every request must carry,
 * and the TLS identity the agent serves with (PKCS#12, base64) whose certificate the host pins.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record GuestConfig(String node, String secret, String tlsKeystoreBase64, String tlsKeystorePassword) {

    @Override
    public String toString() {
        return "GuestConfig[node=" + node + ", secret=<redacted>]";
    }
}
