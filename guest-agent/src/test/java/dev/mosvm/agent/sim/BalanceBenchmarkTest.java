package dev.mosvm.agent.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.balance.BalancerConfig;
import dev.mosvm.agent.gossip.GossipConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Issue 5's simulator figures: makespan over its lower bound and mean slowdown for jobs that
 * stay where submitted, placement at start, and placement plus migration, at 16 and 1,000
 * nodes, Pareto alpha 1.1 to 1.5. The view's staleness comes from the gossip simulator run at
 * the same size. Smoke run by default (CI); full run with -Dbench.full=true
 * (scripts/bench-balance.sh) writes docs/benchmarks/balance.md and its plots. Prints figures;
 * asserts only that they were measured.
 */
class BalanceBenchmarkTest {
    static final boolean FULL = Boolean.getBoolean("bench.full");
    static final Path OUT = Path.of(System.getProperty("bench.out", "target/benchmarks"));
    static final double[] ALPHAS = {1.1, 1.2, 1.3, 1.4, 1.5};
    static final double RHO = 0.7;
    /** The reference row: the same jobs on the pool as one ideal machine (EqualShareReference). */
    static final String EQUAL_SHARE = "equal share of the whole pool (reference)";
    /** A LAN pool of real machines: moves at 100 MB/s plus 1 s, decisions every second. */
    static final BalancerConfig SIM = new BalancerConfig(1, 1, 2.0, 100e6, 1, 256 * 1024, 1, 10, 32, Double.parseDouble(System.getProperty("bench.nearBest", "0.1")));

    record Cell(List<Double> ratios, List<Double> releaseRatios, List<Double> slowdowns, double wall, double simulated, int moves,
                List<Double> equalShareRatios, List<Double> equalShareReleaseRatios, List<Double> equalShareSlowdowns) {}

    static double meanViewAge(int nodes) {
        GossipConfig cfg = GossipConfig.forPoolSize(nodes, 1000, 64);
        return new GossipSimulation(new GossipSimulation.Params(nodes, cfg, 0.0, 20, 1)).run(20, false).meanAge() * 1.0;
    }

    /** Arrival window giving the pool load {@code rho}: expected total work over expected capacity (2.25 CPUs of speed 1.25 a node). */
    static double windowForLoad(int nodes, int jobs, double alpha, double rho) {
        return jobs * 10 * alpha / (alpha - 1) / (nodes * 2.25 * 1.25) / rho;
    }

    static Map<BalanceSimulation.Policy, Cell> runAll(int nodes, int jobsPerNode, int seeds) {
        return runAll(nodes, jobsPerNode, seeds, 0);
    }

    /** @param rho 0: a batch arriving over 30 s; else continuous arrivals at that load */
    static Map<BalanceSimulation.Policy, Cell> runAll(int nodes, int jobsPerNode, int seeds, double rho) {
        double age = meanViewAge(nodes);
        System.out.printf(Locale.ROOT, "N=%d: mean gossip age %.1f s%n", nodes, age);
        Map<BalanceSimulation.Policy, Cell> out = new EnumMap<>(BalanceSimulation.Policy.class);
        for (BalanceSimulation.Policy policy : BalanceSimulation.Policy.values()) {
            List<Double> ratios = new ArrayList<>();
            List<Double> release = new ArrayList<>();
            List<Double> slow = new ArrayList<>();
            List<Double> eqRatios = new ArrayList<>();
            List<Double> eqRelease = new ArrayList<>();
            List<Double> eqSlow = new ArrayList<>();
            double wall = 0;
            double simulated = 0;
            int moves = 0;
            for (double alpha : ALPHAS) {
                for (int s = 0; s < seeds; s++) {
                    BalanceSimulation.Result r = new BalanceSimulation(new BalanceSimulation.Params(nodes, nodes * jobsPerNode, alpha, 10,
                            policy, SIM, age, rho > 0 ? windowForLoad(nodes, nodes * jobsPerNode, alpha, rho) : 30,
                            1000L * s + (long) (alpha * 10))).run();
                    ratios.add(r.ratio());
                    release.add(r.releaseRatio());
                    slow.add(r.meanSlowdown());
                    eqRatios.add(r.equalShareRatio());
                    eqRelease.add(r.equalShare().makespan() / r.releaseBound());
                    eqSlow.add(r.equalShare().meanSlowdown());
                    wall += r.wallSeconds();
                    simulated += r.makespan();
                    moves += r.moves();
                }
            }
            out.put(policy, new Cell(ratios, release, slow, wall, simulated, moves, eqRatios, eqRelease, eqSlow));
        }
        return out;
    }

    static double pct(List<Double> xs, double q) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a[Math.min(a.length - 1, (int) Math.ceil(q * a.length) - 1)];
    }

    static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }

    @Test
    void balanceFigures() throws Exception {
        int seeds16 = FULL ? 20 : Integer.getInteger("bench.seeds", 2);
        int[] sizes = FULL ? new int[] {16, 1000} : new int[] {16, 100};
        List<String> rows = new ArrayList<>();
        Map<Integer, Map<BalanceSimulation.Policy, Cell>> all = new java.util.LinkedHashMap<>();
        for (int n : sizes) {
            Map<BalanceSimulation.Policy, Cell> cells = runAll(n, 200 / 16 + 1, n == 16 ? seeds16 : FULL ? 2 : 1);
            all.put(n, cells);
            double placeSlow = mean(cells.get(BalanceSimulation.Policy.PLACE).slowdowns());
            for (var e : cells.entrySet()) {
                Cell c = e.getValue();
                double slow = mean(c.slowdowns());
                rows.add(String.format(Locale.ROOT, "| %d | %s | %d | %.3f | %.3f | %.3f | %.1f | %+.0f %% | %d | %.1f | %.0f |", n,
                        e.getKey(), c.ratios().size(), pct(c.ratios(), 0.5), pct(c.ratios(), 0.9), pct(c.ratios(), 1.0), slow,
                        100 * (slow / placeSlow - 1), c.moves(), c.wall(), c.simulated() / 3600 / Math.max(c.wall(), 1e-3) * 600));
                System.out.println(rows.get(rows.size() - 1));
            }
            Cell ref = cells.get(BalanceSimulation.Policy.PLACE);
            double refSlow = mean(ref.equalShareSlowdowns());
            rows.add(String.format(Locale.ROOT, "| %d | %s | %d | %.3f | %.3f | %.3f | %.1f | %+.0f %% | – | – | – |", n, EQUAL_SHARE,
                    ref.equalShareRatios().size(), pct(ref.equalShareRatios(), 0.5), pct(ref.equalShareRatios(), 0.9),
                    pct(ref.equalShareRatios(), 1.0), refSlow, 100 * (refSlow / placeSlow - 1)));
            System.out.println(rows.get(rows.size() - 1));
        }
        // continuous arrivals at moderate load, the setting of Harchol-Balter and Downey's slowdown figures
        List<String> steady = new ArrayList<>();
        for (int n : sizes) {
            Map<BalanceSimulation.Policy, Cell> cells = runAll(n, 200 / 16 + 1, n == 16 ? seeds16 : FULL ? 2 : 1, RHO);
            double placeSlow = mean(cells.get(BalanceSimulation.Policy.PLACE).slowdowns());
            for (var e : cells.entrySet()) {
                Cell c = e.getValue();
                double slow = mean(c.slowdowns());
                steady.add(String.format(Locale.ROOT, "| %d | %s | %d | %.3f | %.3f | %.3f | %.3f | %.1f | %+.0f %% | %d | %.1f | %.0f |", n,
                        e.getKey(), c.ratios().size(), pct(c.ratios(), 0.5), pct(c.ratios(), 0.9), pct(c.releaseRatios(), 0.5),
                        pct(c.releaseRatios(), 0.9), slow, 100 * (slow / placeSlow - 1), c.moves(), c.wall(), c.simulated() / 3600 / Math.max(c.wall(), 1e-3) * 600));
                System.out.println(steady.get(steady.size() - 1));
            }
            Cell ref = cells.get(BalanceSimulation.Policy.PLACE);
            double refSlow = mean(ref.equalShareSlowdowns());
            steady.add(String.format(Locale.ROOT, "| %d | %s | %d | %.3f | %.3f | %.3f | %.3f | %.1f | %+.0f %% | – | – | – |", n, EQUAL_SHARE,
                    ref.equalShareRatios().size(), pct(ref.equalShareRatios(), 0.5), pct(ref.equalShareRatios(), 0.9),
                    pct(ref.equalShareReleaseRatios(), 0.5), pct(ref.equalShareReleaseRatios(), 0.9), refSlow, 100 * (refSlow / placeSlow - 1)));
            System.out.println(steady.get(steady.size() - 1));
        }
        String report = String.join("\n",
                "## Balancing (" + LocalDate.now() + ", simulator, the agent's Balancer; gossip view ages from GossipSimulation)",
                "",
                "Command: `scripts/bench-balance.sh` (= `mvn -pl guest-agent -am test -Dtest=BalanceBenchmarkTest -Dbench.full=true`)",
                "",
                "Jobs: " + (200 / 16 + 1) + " per node (208 at 16 nodes, 13,000 at 1,000), Pareto work (minimum 10 reference-core s), alpha "
                        + Arrays.toString(ALPHAS) + ", memory lognormal around 100 MiB, arriving over 30 s at random nodes. Nodes: 1, 2, 2 or 4 CPUs "
                        + "of speed 0.5-2.0, 2-16 GiB. Moves cost 1 s + memory / 100 MB/s. Ratio = makespan / max(total work / total speed, "
                        + "largest job / fastest CPU); slowdown = response / (work / fastest CPU), mean over jobs; change = against placement only; "
                        + "sim h per 10 min = simulated hours per 10 minutes of wall time. The reference row runs the same jobs on the pool "
                        + "as one ideal machine: every CPU shared equally by every job present, moves free and instant; the best a "
                        + "balancer that does not know job sizes can hope for when CPUs are shared fairly (EqualShareReference).",
                "",
                "| N | policy | runs | median ratio | p90 ratio | max ratio | mean slowdown | change | moves | wall s | sim h per 10 min |",
                "|---|---|---|---|---|---|---|---|---|---|---|",
                String.join("\n", rows), "",
                "Continuous arrivals at load " + RHO + " (the same jobs arriving uniformly over the window that makes expected work / "
                        + "expected capacity = " + RHO + "). Ratio as above; release ratio = makespan / max(that bound, latest arrival + work / "
                        + "fastest CPU over jobs), since no job ends before it arrives; mean slowdown, change against placement only.",
                "",
                "| N | policy | runs | median ratio | p90 ratio | median release ratio | p90 release ratio | mean slowdown | change | moves "
                        + "| wall s | sim h per 10 min |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|",
                String.join("\n", steady), "");
        Files.createDirectories(OUT);
        Files.writeString(OUT.resolve("balance.md"), report);
        plot(all);
        assertTrue(rows.size() == sizes.length * 4 && steady.size() == sizes.length * 4, "figures measured");
    }

    static void plot(Map<Integer, Map<BalanceSimulation.Policy, Cell>> all) throws Exception {
        for (var bySize : all.entrySet()) {
            XYChart cdf = new XYChartBuilder().width(720).height(420).title("Makespan / lower bound, N = " + bySize.getKey() + " (CDF over runs)")
                    .xAxisTitle("makespan / lower bound").yAxisTitle("fraction of runs").build();
            for (var e : bySize.getValue().entrySet()) {
                double[] xs = e.getValue().ratios().stream().mapToDouble(Double::doubleValue).sorted().toArray();
                double[] ys = new double[xs.length];
                for (int i = 0; i < xs.length; i++) ys[i] = (i + 1.0) / xs.length;
                cdf.addSeries(e.getKey().toString(), xs, ys).setMarker(SeriesMarkers.NONE);
            }
            BitmapEncoder.saveBitmap(cdf, OUT.resolve("balance-makespan-" + bySize.getKey()).toString(), BitmapEncoder.BitmapFormat.PNG);
        }
        CategoryChart bars = new CategoryChartBuilder().width(720).height(420).title("Mean slowdown by policy").xAxisTitle("nodes")
                .yAxisTitle("mean slowdown").build();
        for (BalanceSimulation.Policy p : BalanceSimulation.Policy.values()) {
            List<String> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (var bySize : all.entrySet()) {
                xs.add(String.valueOf(bySize.getKey()));
                ys.add(mean(bySize.getValue().get(p).slowdowns()));
            }
            bars.addSeries(p.toString(), xs, ys);
        }
        BitmapEncoder.saveBitmap(bars, OUT.resolve("balance-slowdown").toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
