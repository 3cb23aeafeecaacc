package dev.mosvm.manager.e2e;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Powers the run's pool of two off before any class that does not use it: its idle emulated
 * VMs would otherwise take host CPU from the VMs that class boots (the balancing test's caps
 * add up to both host cores) and skew its figures. A later class that asks for the pool again
 * gets it started by {@link PoolOfTwo#running()}. Registered for every test class through
 * JUnit's extension autodetection (META-INF/services, junit-platform.properties).
 */
public final class PoolOfTwoPowerOff implements BeforeAllCallback {
    @Override
    public void beforeAll(ExtensionContext ctx) throws Exception {
        if (E2eGroups.onPoolOfTwo(ctx.getRequiredTestClass())) return;
        PoolOfTwo pool;
        try {
            pool = ctx.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).get(PoolOfTwo.class, PoolOfTwo.class);
        } catch (RuntimeException | AssertionError failedToComeUp) {
            return; // the store rethrows the pool's failure; the classes that use it report it, this one need not fail too
        }
        if (pool != null) pool.powerOff();
    }
}
