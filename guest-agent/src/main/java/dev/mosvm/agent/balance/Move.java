package dev.mosvm.agent.balance;

import java.util.Locale;

/**
 * A decision to move one job.
 *
 * @param job    the job
 * @param target the node it should run on
 * @param reason PLACED (a new job starts there), BALANCED (it will finish sooner there) or
 *               USHERED (memory ran short here)
 * @param why    one line for the log and for mosps
 */
public record Move(String job, String target, Reason reason, String why) {
    public enum Reason {
        PLACED, BALANCED, USHERED;

        /** The reason as a move's offer and its log carry it ("balanced", "ushered"). */
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The balancer's reason a move's offer gives: null for a move a user asked for ("moved",
         * or none), USHERED for "ushered", else BALANCED.
         */
        public static Reason ofOffer(String reason) {
            if (reason == null || "moved".equals(reason)) return null;
            return "ushered".equals(reason) ? USHERED : BALANCED;
        }
    }
}
