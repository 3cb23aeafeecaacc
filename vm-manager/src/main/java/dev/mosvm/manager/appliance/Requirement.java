package dev.mosvm.manager.appliance;

/** One thing that must hold before an appliance counts as up, with a hint for when it never does. */
public record Requirement(String description, Probe probe, String hint) {
    /** Returns true once met; may throw {@link ReadinessWait.Fatal} to stop waiting at once. */
    public interface Probe {
        boolean met() throws Exception;
    }
}
