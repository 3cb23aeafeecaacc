package dev.mosvm.agent.node;

import java.util.List;
import java.util.logging.Logger;

/** Powers the guest off on the host's request, after the reply has gone out. */
public final class PowerControl {
    private static final Logger LOG = Logger.getLogger(PowerControl.class.getName());
    private final List<String> command;

    public PowerControl(List<String> command) {
        this.command = command;
    }

    public void powerOffSoon() {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(300);
                LOG.info("powering off: " + String.join(" ", command));
                new ProcessBuilder(command).inheritIO().start();
            } catch (Exception e) {
                LOG.warning("power-off failed: " + e.getMessage());
            }
        }, "power-off");
        t.setDaemon(false);
        t.start();
    }
}
