package dev.mosvm.agent.sim;

import java.util.Arrays;

/**
 * What the best balancer that does not know job sizes could reach: the pool as one ideal
 * machine, every CPU shared equally by every job present, moves free and instant. With n jobs
 * on M CPUs (speeds sorted, fastest first), each job runs at (sum of the min(n, M) fastest
 * speeds) / n. Jobs progress alike, so nothing tells the largest one apart until the others
 * end: the gap between this and the lower bound (which gives the largest job the fastest CPU
 * to itself from its start) is the price of not knowing sizes, not of balancing.
 */
public final class EqualShareReference {
    public record Result(double makespan, double meanSlowdown) {}

    private EqualShareReference() {}

    /**
     * @param cpuSpeeds one entry per CPU
     * @param arrivals  each job's arrival time
     * @param works     each job's work, in reference-core seconds
     */
    public static Result run(double[] cpuSpeeds, double[] arrivals, double[] works) {
        int n = works.length;
        double[] speeds = cpuSpeeds.clone();
        Arrays.sort(speeds);
        double[] topSum = new double[speeds.length + 1]; // topSum[k]: sum of the k fastest
        for (int k = 1; k <= speeds.length; k++) topSum[k] = topSum[k - 1] + speeds[speeds.length - k];
        double fastest = speeds[speeds.length - 1];
        Integer[] byArrival = new Integer[n];
        for (int i = 0; i < n; i++) byArrival[i] = i;
        Arrays.sort(byArrival, (a, b) -> Double.compare(arrivals[a], arrivals[b]));
        // every present job has received the same service since it arrived, so a job ends when the
        // pool's cumulative per-job service reaches (its service at arrival + its work): a heap on that
        java.util.PriorityQueue<double[]> present = new java.util.PriorityQueue<>((a, b) -> Double.compare(a[0], b[0]));
        double now = 0;
        double service = 0; // cumulative service one job present all along would have received
        double makespan = 0;
        double slowdown = 0;
        int next = 0;
        while (next < n || !present.isEmpty()) {
            int k = present.size();
            double rate = k == 0 ? 0 : topSum[Math.min(k, speeds.length)] / k;
            double tEnd = k == 0 ? Double.POSITIVE_INFINITY : now + (present.peek()[0] - service) / rate;
            double tArrive = next < n ? arrivals[byArrival[next]] : Double.POSITIVE_INFINITY;
            double t = Math.min(tEnd, tArrive);
            service += rate * (t - now);
            now = t;
            if (tEnd <= tArrive) {
                double[] done = present.poll();
                int j = (int) done[1];
                makespan = Math.max(makespan, now);
                slowdown += (now - arrivals[j]) / (works[j] / fastest);
            } else {
                int j = byArrival[next++];
                present.add(new double[] {service + works[j], j});
            }
        }
        return new Result(makespan, slowdown / n);
    }
}
