package dev.mosvm.agent.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * What knowing job sizes would buy: the pool as one ideal machine (moves free and instant, as
 * in {@link EqualShareReference}) run by a scheduler that knows every job's remaining work.
 * The job with the most work left gets the fastest CPU to itself (the makespan's bound is that
 * job on that CPU), and the others take the next fastest CPUs shortest-remaining first (SRPT,
 * which minimises mean response). Decisions are remade at every arrival and completion.
 * Neither a MOSIX-like balancer nor Linux knows sizes, so this is a yardstick for the targets,
 * not a policy the agent can follow.
 */
public final class SizeAwareReference {
    private SizeAwareReference() {}

    /**
     * @param cpuSpeeds one entry per CPU
     * @param arrivals  each job's arrival time
     * @param works     each job's work, in reference-core seconds
     */
    public static EqualShareReference.Result run(double[] cpuSpeeds, double[] arrivals, double[] works) {
        int n = works.length;
        double[] speeds = cpuSpeeds.clone();
        Arrays.sort(speeds);
        double fastest = speeds[speeds.length - 1];
        Integer[] byArrival = new Integer[n];
        for (int i = 0; i < n; i++) byArrival[i] = i;
        Arrays.sort(byArrival, Comparator.comparingDouble(i -> arrivals[i]));
        double[] left = works.clone();
        List<Integer> present = new ArrayList<>();
        double now = 0;
        double makespan = 0;
        double slowdown = 0;
        int next = 0;
        double[] rate = new double[n];
        while (next < n || !present.isEmpty()) {
            present.sort(Comparator.comparingDouble(i -> left[i]));
            if (present.size() > 1) present.add(0, present.remove(present.size() - 1)); // the largest first
            double tNext = next < n ? arrivals[byArrival[next]] : Double.POSITIVE_INFINITY;
            for (int k = 0; k < present.size(); k++) {
                int j = present.get(k);
                rate[j] = k < speeds.length ? speeds[speeds.length - 1 - k] : 0;
                if (rate[j] > 0) tNext = Math.min(tNext, now + left[j] / rate[j]);
            }
            double dt = tNext - now;
            now = tNext;
            for (var it = present.iterator(); it.hasNext(); ) {
                int j = it.next();
                left[j] -= rate[j] * dt;
                if (left[j] <= 1e-9 * works[j]) {
                    it.remove();
                    makespan = Math.max(makespan, now);
                    slowdown += (now - arrivals[j]) / (works[j] / fastest);
                }
            }
            while (next < n && arrivals[byArrival[next]] <= now) present.add(byArrival[next++]);
        }
        return new EqualShareReference.Result(makespan, slowdown / n);
    }
}
