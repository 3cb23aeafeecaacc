package dev.mosvm.console;

import dev.mosvm.api.AgentClient;
import dev.mosvm.api.BalanceState;
import java.io.PrintWriter;

/** `balance on|off|status`, the same on the host and inside an appliance. */
public final class BalanceSwitch {
    private BalanceSwitch() {}

    /** The command's argument; picocli rejects anything else as a usage error (exit 2) on host and guest alike. */
    public enum Mode { on, off, status }

    /** @param mode null: status */
    public static BalanceState apply(AgentClient agent, Mode mode) throws Exception {
        return switch (mode == null ? Mode.status : mode) {
            case on -> agent.balance(true);
            case off -> agent.balance(false);
            case status -> agent.balance();
        };
    }

    public static void print(PrintWriter out, BalanceState s) {
        out.println(s.node() + ": balancing " + (s.enabled() ? "on (new jobs go to the best node; running ones move when it pays)"
                : "off (new jobs start here and stay unless moved by hand)"));
        out.flush();
    }
}
