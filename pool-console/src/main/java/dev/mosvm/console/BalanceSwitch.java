package dev.mosvm.console;

import dev.mosvm.api.AgentClient;
import dev.mosvm.api.BalanceState;
import java.io.PrintWriter;

/** `balance on|off|status`, the same on the host and inside an appliance. */
public final class BalanceSwitch {
    private BalanceSwitch() {}

    /** @param mode on, off or status (null: status) */
    public static BalanceState apply(AgentClient agent, String mode) throws Exception {
        String m = mode == null ? "status" : mode;
        return switch (m) {
            case "on" -> agent.balance(true);
            case "off" -> agent.balance(false);
            case "status" -> agent.balance();
            default -> throw new IllegalArgumentException("balance takes on, off or status, not '" + m + "'");
        };
    }

    public static void print(PrintWriter out, BalanceState s) {
        out.println(s.node() + ": balancing " + (s.enabled() ? "on (new jobs go to the best node; running ones move when it pays)"
                : "off (new jobs start here and stay unless moved by hand)"));
        out.flush();
    }
}
