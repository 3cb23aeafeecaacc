package dev.mosvm.agent.node;

import dev.mosvm.agent.guard.Supervised;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleConsumer;
import java.util.function.LongToDoubleFunction;
import java.util.logging.Logger;

/**
 * This node's speed figure (reference cores per CPU, scaled by the host's cap). Measured at
 * boot, then again while the node is idle: VMs booting together on one host share its CPUs, so a
 * boot-time reading can be a quarter of the real figure. Contention only ever lowers a reading,
 * so the best one stands; re-measuring stops once a few idle readings in a row add nothing.
 */
public final class NodeSpeed {
    private static final Logger LOG = Logger.getLogger(NodeSpeed.class.getName());
    /** A reading must beat the figure by this much to count as news. */
    static final double NEWS = 0.05;
    /** Between idle readings: a low boot reading is put right soon after the neighbours settle. */
    public static final long PERIOD_MILLIS = 20_000;
    /**
     * Idle readings in a row without news before re-measuring stops (200 s): enough to outlast a
     * neighbour VM's boot (1-2 min under TCG, up to 5 for the third of three), which the guest
     * cannot see but its readings can. Each reading costs the speed budget (0.4 s) of CPU.
     */
    static final int SETTLED_AFTER = 10;

    private final double cap;
    public volatile double measured;
    private int flat;

    public NodeSpeed(double measured, double cap) {
        this.measured = measured;
        this.cap = cap;
    }

    public double get() {
        return Math.round(measured * cap * 1000) / 1000.0;
    }

    public double measured() {
        return measured;
    }

    boolean settled() {
        return flat >= SETTLED_AFTER;
    }

    /** Takes one idle reading; true when it raised the figure. */
    synchronized boolean offer(double reading) {
        boolean news = reading > measured * (1 + NEWS);
        if (reading > measured) measured = reading;
        flat = news ? 0 : flat + 1;
        return news;
    }

    /**
     * Re-measures every {@code periodMillis} while {@code idle} holds, until settled; each rise
     * goes to {@code changed} (the job table and the log). The thread is a daemon and ends when settled;
     * a reading that fails is logged and tried again later.
     */
    public void remeasureWhileIdle(long periodMillis, long budgetMillis, BooleanSupplier idle, LongToDoubleFunction benchmark,
                            DoubleConsumer changed) {
        Supervised.periodicWhile("speed-remeasure", periodMillis, periodMillis, () -> {
            if (settled()) return false;
            if (!idle.getAsBoolean()) return true;
            double before = get();
            if (offer(benchmark.applyAsDouble(budgetMillis))) {
                LOG.info("speed " + get() + " (was " + before + "), measured again while idle");
                changed.accept(get());
            }
            return true;
        });
    }
}
