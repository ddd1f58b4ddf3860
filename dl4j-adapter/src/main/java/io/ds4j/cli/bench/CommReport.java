package io.ds4j.cli.bench;

import io.ds4j.zero.comm.ucx.UcxProfile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The table, CSV and chart of {@code ds4j bench comm}. Bus bandwidth, as nccl-tests define it, so that it is comparable
 * across collectives and world sizes: the vector's bytes over the median time, times {@code 2(N-1)/N} for an
 * all-reduce and {@code (N-1)/N} for a reduce-scatter or all-gather (the bytes each rank's link carries per second).
 * ucx_perftest's tag bandwidth is one process streaming messages of that size to another: with the bench's own
 * environment, and with the {@code GLIBC_TUNABLES} the UCX rank processes got (transparent huge pages make the
 * copies within a host faster, so a ratio to that says how much of the speed is the transport's).
 *
 * @param machine    the machine line
 * @param tunables   the {@code GLIBC_TUNABLES} the UCX rank processes ran with
 * @param worldSize  ranks in each group
 * @param sizes      vector sizes in bytes
 * @param samples    every timed collective, by contender ({@code threads}, {@code ucx}; {@code path} tells the API)
 * @param perftest   ucx_perftest's tag bandwidth per size in bytes/s, each repeat (empty when not run)
 * @param perftestRanks the same with the ranks' {@code tunables}
 * @param splits     where UCX rank 0's time went, per collective, path, size and round
 * @param load       the load average (1 minute) before and after the run
 */
record CommReport(String machine, String tunables, int worldSize, List<Long> sizes,
        Map<String, List<CommProbe.Sample>> samples, Map<Long, List<Double>> perftest,
        Map<Long, List<Double>> perftestRanks, List<CommProbe.Split> splits, double[] load) {
    /** The columns: contender and path, in table order. */
    static final List<String[]> COLUMNS = List.of(new String[] {"threads", "float[]"},
            new String[] {"ucx", "float[]"}, new String[] {"ucx", "INDArray"});
    private static final String CSV_HEADER = "collective,bytes,threads_busbw_gbps,ucx_float_busbw_gbps,"
            + "ucx_indarray_busbw_gbps,perftest_tag_gbps,ucx_float_over_perftest,ucx_indarray_over_perftest,"
            + "perftest_ranks_env_tag_gbps,ucx_indarray_over_perftest_ranks_env";

    /** Bus bandwidth in bytes/s of the median sample, or NaN without samples. */
    double busBandwidth(String contender, String path, String collective, long bytes) {
        List<Double> t = new ArrayList<>();
        for (CommProbe.Sample s : samples.getOrDefault(contender, List.of())) {
            if (s.path().equals(path) && s.collective().equals(collective) && s.bytes() == bytes) {
                t.add(s.seconds());
            }
        }
        double factor = (collective.equals("all-reduce") ? 2.0 : 1.0) * (worldSize - 1) / worldSize;
        return t.isEmpty() ? Double.NaN : bytes / median(t) * factor;
    }

    /** jucx's median tag-stream bandwidth for {@code bytes} in bytes/s (rank 0 to 1, as ucx_perftest), or NaN. */
    double jucxStream(long bytes) {
        List<Double> t = new ArrayList<>();
        for (CommProbe.Sample s : samples.getOrDefault("ucx", List.of())) {
            if (s.collective().equals(CommProbe.STREAM) && s.bytes() == bytes) {
                t.add(s.seconds());
            }
        }
        return t.isEmpty() ? Double.NaN : bytes / median(t);
    }

    /** ucx_perftest's median tag bandwidth for {@code bytes} in the bench's environment, or NaN. */
    double perftest(long bytes) {
        return medianOf(perftest, bytes);
    }

    /** ucx_perftest's median tag bandwidth for {@code bytes} with the ranks' {@code GLIBC_TUNABLES}, or NaN. */
    double perftestRanks(long bytes) {
        return medianOf(perftestRanks, bytes);
    }

    private static double medianOf(Map<Long, List<Double>> runs, long bytes) {
        List<Double> b = runs.getOrDefault(bytes, List.of()).stream().filter(v -> !v.isNaN()).toList();
        return b.isEmpty() ? Double.NaN : median(b);
    }

    static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        int m = s.size() / 2;
        return s.size() % 2 == 1 ? s.get(m) : (s.get(m - 1) + s.get(m)) / 2;
    }

    private static String gbps(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v / 1e9);
    }

    private static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "-" : String.format(Locale.ROOT, "%.2f", a / b);
    }

    /** @return the CSV: one row per collective and size, bandwidths in GB/s (10^9 bytes) */
    String csv() {
        StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
        for (String c : CommProbe.COLLECTIVES) {
            for (long bytes : sizes) {
                double[] v = row(c, bytes);
                sb.append(c).append(',').append(bytes);
                for (int i = 0; i < 4; i++) {
                    sb.append(',').append(Double.isNaN(v[i]) ? "" : String.format(Locale.ROOT, "%.6f", v[i] / 1e9));
                }
                sb.append(',').append(csvRatio(v[1], v[3])).append(',').append(csvRatio(v[2], v[3]));
                sb.append(',').append(Double.isNaN(v[4]) ? "" : String.format(Locale.ROOT, "%.6f", v[4] / 1e9));
                sb.append(',').append(csvRatio(v[2], v[4])).append('\n');
            }
        }
        return sb.toString();
    }

    private static String csvRatio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "" : String.format(Locale.ROOT, "%.4f", a / b);
    }

    /** threads, ucx float[], ucx INDArray, perftest, perftest with the ranks' tunables: bytes/s. */
    private double[] row(String collective, long bytes) {
        double[] v = new double[5];
        for (int i = 0; i < 3; i++) {
            v[i] = busBandwidth(COLUMNS.get(i)[0], COLUMNS.get(i)[1], collective, bytes);
        }
        v[3] = perftest(bytes);
        v[4] = perftestRanks(bytes);
        return v;
    }

    /** @return the table as printed (markdown) */
    String table() {
        StringBuilder sb = new StringBuilder("machine: ").append(machine).append('\n');
        sb.append(String.format(Locale.ROOT, "%d ranks; load average (1 min) %.2f before, %.2f after; medians; bus"
                + " bandwidth in GB/s (10^9 B/s)%n%n", worldSize, load[0], load[1]));
        sb.append("| collective | size | threads | UCX processes, float[] | UCX processes, INDArray (off-heap) |"
                + " ucx_perftest tag | float[] / perftest | INDArray / perftest | ucx_perftest tag, ranks' env |"
                + " INDArray / perftest, ranks' env |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String c : CommProbe.COLLECTIVES) {
            for (long bytes : sizes) {
                double[] v = row(c, bytes);
                sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", c,
                        size(bytes), gbps(v[0]), gbps(v[1]), gbps(v[2]), gbps(v[3]), ratio(v[1], v[3]),
                        ratio(v[2], v[3]), gbps(v[4]), ratio(v[2], v[4])));
            }
        }
        sb.append("bus bandwidth = size / time x 2(N-1)/N (all-reduce) or (N-1)/N (reduce-scatter, all-gather);"
                + " ucx_perftest: -t tag_bw, one process streaming messages of that size to another on 127.0.0.1,"
                + " with this environment, and with the UCX rank processes' GLIBC_TUNABLES=" + tunables + " (ranks'"
                + " env: transparent huge pages for malloc'd memory, which speed up UCX's copies too)\n");
        if (!splits.isEmpty()) {
            sb.append(profileTable());
        }
        return sb.toString();
    }

    /** Where UCX rank 0's all-reduce time went, summed over every timed repetition of every round. */
    private String profileTable() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%nWhere the UCX all-reduce's time goes (rank"
                + " 0, every timed repetition; %% of its time in the collective):%n%n"));
        sb.append("| path | size | UCX moving bytes | waiting for the peer | rank-order sum | staging copies | posting"
                + " | other | UCX rate while moving | jucx tag stream | ucx_perftest tag | ucx_perftest tag, ranks' env"
                + " | ms per all-reduce | CPU ms per all-reduce | JIT compiling, ms |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String path : List.of("float[]", "INDArray")) {
            for (long bytes : sizes) {
                UcxProfile p = UcxProfile.EMPTY;
                long cpu = 0;
                long jit = 0;
                for (CommProbe.Split s : splits) {
                    if (s.collective().equals("all-reduce") && s.path().equals(path) && s.bytes() == bytes) {
                        p = p.plus(s.profile());
                        cpu = cpu < 0 || s.cpuNanos() < 0 ? -1 : cpu + s.cpuNanos();
                        jit = jit < 0 || s.jitMillis() < 0 ? -1 : jit + s.jitMillis();
                    }
                }
                if (p.collectives() == 0) {
                    continue;
                }
                double t = Math.max(1, p.total());
                double moved = 2.0 * (worldSize - 1) / worldSize * bytes * p.collectives(); // received per rank
                sb.append(String.format(Locale.ROOT, "| %s | %s | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %.0f%% |"
                        + " %s | %s | %s | %s | %.2f | %s | %s |%n", path, size(bytes), 100 * p.moving() / t,
                        100 * p.polling() / t, 100 * p.summing() / t, 100 * p.staging() / t, 100 * p.posting() / t,
                        100 * p.other() / t,
                        gbps(p.moving() + p.posting() == 0 ? Double.NaN : moved / ((p.moving() + p.posting()) / 1e9)),
                        gbps(jucxStream(bytes)), gbps(perftest(bytes)), gbps(perftestRanks(bytes)),
                        p.total() / 1e6 / p.collectives(), cpu < 0 ? "–" : String.format(Locale.ROOT, "%.2f", cpu
                        / 1e6 / p.collectives()), jit < 0 ? "–" : Long.toString(jit)));
            }
        }
        sb.append("UCX moving bytes: in worker progress calls that advanced a message (within a host UCX copies the"
                + " bytes there); waiting: progress calls that found nothing, and backing off; posting: the calls that"
                + " post a send or receive (UCX starts a transfer there, and may copy a message that has already"
                + " arrived before returning); other: checks and bookkeeping; UCX rate while moving:"
                + " the bytes each rank receives, 2(N-1)/N x size, over the time moving and posting; jucx tag stream:"
                + " rank 0"
                + " streaming messages of that size to rank 1 through the same connections, as ucx_perftest does;"
                + " GB/s; ms per all-reduce: rank 0's mean time inside one (times a share: that phase's time); CPU ms:"
                + " the CPU time its thread used in one (UCX's copies between the processes and spinning while waiting"
                + " included): well below ms per all-reduce, the rank waited for a core (a loaded machine); JIT"
                + " compiling: the time of the compilations rank 0's JVM finished during these timed runs, all rounds"
                + " (its compiler threads take cores from the ranks; each collective's timed runs start once no rank's"
                + " JIT has finished a compilation for 100 ms of untimed runs, or after 2 s of them)\n");
        return sb.toString();
    }

    static String size(long bytes) {
        if (bytes % (1 << 20) == 0) {
            return (bytes >> 20) + " MiB";
        }
        return bytes % 1024 == 0 ? (bytes >> 10) + " KiB" : bytes + " B";
    }

    /**
     * Writes {@code bench-comm.csv}, {@code .txt} and {@code .png} into {@code dir}.
     *
     * @return the files written
     * @throws IOException when a file cannot be written
     */
    List<Path> write(Path dir) throws IOException {
        List<XYChart> charts = new ArrayList<>();
        for (String c : CommProbe.COLLECTIVES) {
            XYChart chart = new XYChartBuilder().width(600).height(420).title("bench comm: " + c + ", " + worldSize
                    + " ranks").xAxisTitle("size (MiB)").yAxisTitle("bus bandwidth (GB/s)").build();
            chart.getStyler().setXAxisLogarithmic(true).setLegendPosition(Styler.LegendPosition.InsideNW);
            String[] names = {"threads", "UCX processes, float[]", "UCX processes, INDArray", "ucx_perftest tag",
                "ucx_perftest tag, ranks' env"};
            for (int i = 0; i < names.length; i++) {
                List<Double> x = new ArrayList<>();
                List<Double> y = new ArrayList<>();
                for (long bytes : sizes) {
                    double v = row(c, bytes)[i];
                    if (!Double.isNaN(v)) {
                        x.add(bytes / 1048576.0);
                        y.add(v / 1e9);
                    }
                }
                if (!x.isEmpty()) {
                    chart.addSeries(names[i], x, y);
                }
            }
            charts.add(chart);
        }
        return ReportFiles.write(dir, "bench-comm", csv(), table(), charts, 3);
    }
}
