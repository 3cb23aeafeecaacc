package dev.mosvm.manager.appliance;

import java.time.Duration;
import java.util.List;

/**
 * Checks requirements in order under one deadline, reporting "requirement i of n". Returns
 * normally when all are met; otherwise names the first unmet one.
 */
public final class ReadinessWait {
    /** Thrown by a probe when waiting longer cannot help (e.g. the VM stopped). */
    public static final class Fatal extends Exception {
        public Fatal(String message) {
            super(message);
        }
    }

    public interface Listener {
        void met(int index, int total, String description, double secondsSinceStart);
    }

    public record Outcome(int unmetIndex, Requirement unmet, String reason) {
        public boolean ready() {
            return unmet == null;
        }
    }

    private ReadinessWait() {}

    public static Outcome await(List<Requirement> reqs, Duration timeout, Duration poll, Listener listener)
            throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        for (int i = 0; i < reqs.size(); i++) {
            Requirement r = reqs.get(i);
            String lastError = null;
            while (true) {
                try {
                    if (r.probe().met()) break;
                } catch (Fatal f) {
                    return new Outcome(i + 1, r, f.getMessage());
                } catch (Exception e) {
                    lastError = e.getMessage();
                }
                if (System.nanoTime() > deadline) {
                    return new Outcome(i + 1, r, "timed out after " + timeout.toSeconds() + " s"
                            + (lastError == null ? "" : " (last error: " + lastError + ")"));
                }
                Thread.sleep(poll.toMillis());
            }
            listener.met(i + 1, reqs.size(), r.description(), (System.nanoTime() - start) / 1e9);
        }
        return new Outcome(0, null, null);
    }
}
