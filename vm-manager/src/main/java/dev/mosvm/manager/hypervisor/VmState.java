package dev.mosvm.manager.hypervisor;

/** A VM's power state, reduced to what mosvm acts on. */
public enum VmState {
    ABSENT, RUNNING, PAUSED, SHUTTING_DOWN, SHUTOFF, CRASHED, OTHER;

    public boolean isOff() {
        return this == SHUTOFF || this == ABSENT || this == CRASHED;
    }
}
