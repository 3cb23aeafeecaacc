package dev.mosvm.agent.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.gossip.GossipConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The gossip figures of issue 3, from the simulator (the agent's own GossipNode code):
 * mean and max age against pool size beside the bound N/w + ln N + 2, spread time of a new
 * node, loss sensitivity, traffic. Smoke run by default (CI); the full run
 * (scripts/bench-gossip.sh, -Dbench.full=true) goes to 10,000 nodes and writes the PNG.
 * Prints figures; asserts only that they were measured.
 */
class GossipBenchmarkTest {
    static final boolean FULL = Boolean.getBoolean("bench.full");
    static final Path OUT = Path.of(System.getProperty("bench.out", "target/benchmarks"));
    static final int WINDOW = 64;
    static final long INTERVAL = 1000;

    static GossipSimulation.Result sim(int n, double loss, boolean detect) {
        GossipConfig cfg = GossipConfig.forPoolSize(n, INTERVAL, WINDOW);
        return new GossipSimulation(new GossipSimulation.Params(n, cfg, loss, 20, 1)).run(FULL ? 60 : 20, detect);
    }

    @Test
    void gossipFigures() throws Exception {
        int[] sizes = FULL ? new int[] {16, 32, 64, 128, 256, 512, 1000, 2000, 5000, 10_000} : new int[] {16, 64, 256};
        List<String> rows = new ArrayList<>();
        List<Double> xs = new ArrayList<>();
        List<Double> means = new ArrayList<>();
        List<Double> maxes = new ArrayList<>();
        List<Double> bounds = new ArrayList<>();
        for (int n : sizes) {
            GossipSimulation.Result r = sim(n, 0.0, false);
            double bound = GossipSimulation.meanAgeBound(n, WINDOW);
            xs.add((double) n);
            means.add(r.meanAge());
            maxes.add(r.maxAge());
            bounds.add(bound);
            rows.add(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f | %.1f |", n, r.meanAge(), bound,
                    r.maxAge(), r.spreadSeconds(), GossipSimulation.epidemicRounds(n), r.bytesPerNodePerSecond(), r.wallSeconds()));
            System.out.println(rows.get(rows.size() - 1));
        }
        int big = FULL ? 1000 : 256;
        GossipSimulation.Result clean = sim(big, 0.0, true);
        GossipSimulation.Result lossy = sim(big, 0.05, true);
        String report = String.join("\n",
                "## Gossip (" + LocalDate.now() + ", simulator, window " + WINDOW + ", interval 1 s, seed 1)",
                "",
                "Command: `scripts/bench-gossip.sh` (= `mvn -pl guest-agent -am test -Dtest=GossipBenchmarkTest -Dbench.full=true`)",
                "",
                "Ages in intervals; spread = seconds until a node that joins is known to 99.9 % of nodes;",
                "epidemic bound = log2 N + ln N rounds (push, fanout 1); traffic = bytes per node per second, sent plus received.",
                "",
                "| N | mean age | bound N/w + ln N + 2 | max age | spread (s) | epidemic bound (rounds) | traffic (B/s) | wall (s) |",
                "|---|---|---|---|---|---|---|---|",
                String.join("\n", rows),
                "",
                String.format(Locale.ROOT, "At N = %d with 5 %% message loss: mean age %.1f (x%.2f of lossless), spread %.1f s (x%.2f), "
                                + "a killed node DEAD for 99.9 %% after %.0f s (lossless %.0f s; the dead threshold is %.0f s).",
                        big, lossy.meanAge(), lossy.meanAge() / clean.meanAge(), lossy.spreadSeconds(),
                        lossy.spreadSeconds() / clean.spreadSeconds(), lossy.detectSeconds(), clean.detectSeconds(),
                        GossipConfig.forPoolSize(big, INTERVAL, WINDOW).deadAfterMillis() / 1000.0),
                "", "![mean and max age against pool size](gossip-ages.png)", "");
        System.out.println(report);
        Files.createDirectories(OUT);
        Files.writeString(OUT.resolve("gossip.md"), report);

        XYChart chart = new XYChartBuilder().width(900).height(560).title("Gossip: age of load information vs pool size (window 64)")
                .xAxisTitle("nodes").yAxisTitle("age (intervals of 1 s)").build();
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true).setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
        chart.addSeries("mean age (simulated)", xs, means).setMarker(SeriesMarkers.CIRCLE);
        chart.addSeries("max age (simulated)", xs, maxes).setMarker(SeriesMarkers.DIAMOND);
        chart.addSeries("bound N/w + ln N + 2", xs, bounds).setMarker(SeriesMarkers.NONE);
        BitmapEncoder.saveBitmap(chart, OUT.resolve("gossip-ages").toString(), BitmapEncoder.BitmapFormat.PNG);
        assertTrue(Files.size(OUT.resolve("gossip-ages.png")) > 0 && clean.spreadSeconds() > 0 && lossy.spreadSeconds() > 0);
    }
}
