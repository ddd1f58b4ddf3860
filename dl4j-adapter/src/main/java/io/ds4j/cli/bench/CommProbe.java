package io.ds4j.cli.bench;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.dist.Distributed;
import io.ds4j.zero.dist.ProcessGroup;
import io.ds4j.zero.comm.ucx.UcxCollectives;
import io.ds4j.zero.comm.ucx.UcxProfile;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One rank of {@code ds4j bench comm}: times all-reduce, reduce-scatter and all-gather of each size on its
 * {@link Collectives}, through Java arrays ({@code float[]}, what the engine passes) and, for UCX, through ND4J arrays
 * (sent from their own off-heap memory). As a child JVM ({@link #main}) it is one UCX rank process and prints its
 * samples as {@code sample,<collective>,<path>,<bytes>,<seconds>} lines and where its time went as {@code
 * profile,<collective>,<path>,<bytes>,<collectives>,<total>,<moving>,<polling>,<summing>,<staging>,<posting>,<cpu>}
 * lines ({@link UcxProfile} and the thread's CPU time, nanoseconds, then the JIT's compile time in milliseconds,
 * {@link Split}; rank 0 only), and the native staging it holds at
 * the end as {@code staging,<rank>,<bytes>,<budget>}.
 */
public final class CommProbe {
    /** The collectives, in table order. */
    static final List<String> COLLECTIVES = List.of("all-reduce", "reduce-scatter", "all-gather");
    /**
     * Untimed runs of each collective before its timed ones (nccl-tests' default; fewer when fewer are timed, the
     * large sizes): with one, the first size's timed runs still went partly through code the JIT had not compiled yet.
     */
    static final int WARMUP = 5;
    /** The samples of rank 0 streaming tag messages to rank 1, not a collective. */
    static final String STREAM = "tag-stream";

    /**
     * One timed collective.
     *
     * @param collective one of {@link #COLLECTIVES}
     * @param path       {@code float[]} or {@code INDArray}
     * @param bytes      the full vector's size (the all-reduced vector, the reduce-scatter input, the all-gather
     *                   output)
     * @param seconds    wall time on rank 0, from after a barrier to the collective's return
     */
    record Sample(String collective, String path, long bytes, double seconds) {
    }

    /**
     * Where a UCX rank's time went over the timed repetitions of one collective, path and size (not the barriers
     * between them), and the CPU time its thread used in them ({@code cpuNanos}: user and system, UCX's copies between
     * the processes included; -1 where the JVM cannot measure it): on a loaded machine what the wall time would be
     * without waiting for a core. {@code jitMillis}: the time of the compilations this rank's JIT finished while they
     * ran (its threads compete with the ranks for the cores; -1 where not reported).
     */
    record Split(String collective, String path, long bytes, UcxProfile profile, long cpuNanos, long jitMillis) {
    }

    private CommProbe() {
    }

    /** Timed repetitions for a vector of {@code bytes}: about 256 MB moved per size, 3 to 20 of them. */
    static int iterations(long bytes, int fixed) {
        return fixed > 0 ? fixed : (int) Math.max(3, Math.min(20, (256L << 20) / Math.max(1, bytes)));
    }

    /**
     * Times every collective and size on {@code c} (every rank of the group calls this with the same arguments).
     *
     * @param nd4j  also through ND4J arrays
     * @param fixed timed repetitions per size (0: {@link #iterations})
     * @return the samples (rank 0's are the reported ones)
     */
    static List<Sample> measure(Collectives c, List<Long> sizes, boolean nd4j, int fixed) {
        return measure(c, sizes, nd4j, fixed, new ArrayList<>());
    }

    /** As {@link #measure(Collectives, List, boolean, int)}; a UCX group also adds its {@link Split}s to splits. */
    static List<Sample> measure(Collectives c, List<Long> sizes, boolean nd4j, int fixed, List<Split> splits) {
        List<Sample> out = new ArrayList<>();
        int n = c.worldSize();
        for (long bytes : sizes) {
            int len = (int) (bytes / 4 / n * n); // divisible by N, so every shard is equal
            int shard = len / n;
            int iters = iterations(bytes, fixed);
            float[] full = new float[len];
            Arrays.fill(full, 1f + c.rank());
            float[] part = new float[shard];
            time(out, splits, c, "all-reduce", "float[]", bytes, iters, () -> c.allReduceSum(full, 0, len));
            time(out, splits, c, "reduce-scatter", "float[]", bytes, iters,
                    () -> c.reduceScatterSum(full, 0, shard, part, 0, shard));
            time(out, splits, c, "all-gather", "float[]", bytes, iters,
                    () -> c.allGather(part, 0, full, 0, shard, shard));
            if (nd4j) {
                INDArray a = Nd4j.valueArrayOf(new long[] {len}, 1f + c.rank(), DataType.FLOAT);
                INDArray s = Nd4j.zeros(DataType.FLOAT, shard);
                time(out, splits, c, "all-reduce", "INDArray", bytes, iters, () -> c.allReduceSum(a));
                time(out, splits, c, "reduce-scatter", "INDArray", bytes, iters, () -> c.reduceScatterSum(a, s));
                time(out, splits, c, "all-gather", "INDArray", bytes, iters, () -> c.allGather(s, a));
                a.close();
                s.close();
            }
            if (c instanceof UcxCollectives u) {
                stream(out, u, bytes, iters);
            }
        }
        return out;
    }

    /**
     * jucx's own ceiling beside ucx_perftest's: rank 0 streams messages of {@code bytes} to rank 1 through the same
     * connections ({@link UcxCollectives#tagStream}); a {@code tag-stream} sample is the time per message.
     */
    private static void stream(List<Sample> out, UcxCollectives u, long bytes, int iters) {
        int messages = Math.max(4, iters);
        u.tagStream(bytes, messages); // warm-up
        for (int i = 0; i < 3; i++) {
            u.barrier();
            out.add(new Sample(STREAM, "jucx", bytes, u.tagStream(bytes, messages) / messages));
        }
    }

    private static void time(List<Sample> out, List<Split> splits, Collectives c, String collective, String path,
            long bytes, int iters, Runnable op) {
        for (int w = 0; w < Math.min(WARMUP, iters); w++) {
            op.run(); // buffers, connections, and the JIT, which compiles the collective's loops after a few runs
        }
        UcxCollectives ucx = c instanceof UcxCollectives u ? u : null;
        java.util.function.LongSupplier jit = JitSettle.compiledMillis();
        JitSettle.settle(c, iters, op, jit, JitSettle.QUIET_NANOS, JitSettle.BUDGET_NANOS); // the JIT's steady state
        long jit0 = jit.getAsLong();
        UcxProfile profile = UcxProfile.EMPTY;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpu = threads.isCurrentThreadCpuTimeSupported() ? 0 : -1;
        for (int i = 0; i < iters; i++) {
            c.barrier();
            if (ucx != null) {
                ucx.resetProfile();
            }
            long c0 = cpu < 0 ? 0 : threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            op.run();
            out.add(new Sample(collective, path, bytes, (System.nanoTime() - t0) / 1e9));
            cpu += cpu < 0 ? 0 : threads.getCurrentThreadCpuTime() - c0;
            if (ucx != null) {
                profile = profile.plus(ucx.profile());
            }
        }
        if (ucx != null) {
            splits.add(new Split(collective, path, bytes, profile, cpu, jit.getAsLong() - jit0));
        }
    }

    /**
     * A UCX rank process: {@code RANK WORLD_SIZE MASTER_PORT SIZES ITERATIONS} (sizes in bytes, comma-separated;
     * iterations 0 for the default). Exit status 0, or 3 with the failure on stderr.
     *
     * @param args as above
     */
    public static void main(String[] args) {
        int rank = Integer.parseInt(args[0]);
        Distributed d = Distributed.of(rank, Integer.parseInt(args[1]), "127.0.0.1", Integer.parseInt(args[2]))
                .withTimeout(Duration.ofSeconds(120));
        List<Long> sizes = Arrays.stream(args[3].split(",")).map(Long::parseLong).toList();
        try (UcxCollectives c = ProcessGroup.connect(d, "bench comm " + args[3], Duration.ofSeconds(120))) {
            List<Split> splits = new ArrayList<>();
            for (Sample s : measure(c, sizes, true, Integer.parseInt(args[4]), splits)) {
                if (rank == 0) {
                    System.out.printf(Locale.ROOT, "sample,%s,%s,%d,%.9f%n", s.collective(), s.path(), s.bytes(),
                            s.seconds());
                }
            }
            System.out.printf(Locale.ROOT, "staging,%d,%d,%d%n", rank, c.stagingBytes(), c.stagingBudget());
            for (Split s : splits) {
                UcxProfile p = s.profile();
                if (rank == 0) {
                    System.out.printf(Locale.ROOT, "profile,%s,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d%n", s.collective(),
                            s.path(), s.bytes(), p.collectives(), p.total(), p.moving(), p.polling(), p.summing(),
                            p.staging(), p.posting(), s.cpuNanos(), s.jitMillis());
                }
            }
        } catch (RuntimeException e) {
            System.err.println("bench comm rank " + rank + " failed: " + e);
            System.exit(3);
        }
        System.exit(0);
    }

    /** Parses a child's {@code profile,...} lines. */
    static List<Split> parseSplits(List<String> lines) {
        List<Split> out = new ArrayList<>();
        for (String l : lines) {
            if (l.startsWith("profile,")) {
                String[] f = l.split(",");
                out.add(new Split(f[1], f[2], Long.parseLong(f[3]), new UcxProfile(Long.parseLong(f[4]),
                        Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]), Long.parseLong(f[8]),
                        Long.parseLong(f[9]), Long.parseLong(f[10])), Long.parseLong(f[11]), f.length > 12
                        ? Long.parseLong(f[12]) : -1));
            }
        }
        return out;
    }

    /** The most staging bytes and the budget in a child's {@code staging,...} line, or {-1, -1}. */
    static long[] parseStaging(List<String> lines) {
        for (String l : lines) {
            if (l.startsWith("staging,")) {
                String[] f = l.split(",");
                return new long[] {Long.parseLong(f[2]), Long.parseLong(f[3])};
            }
        }
        return new long[] {-1, -1};
    }

    /** Parses a child's {@code sample,...} lines. */
    static List<Sample> parse(List<String> lines) {
        List<Sample> out = new ArrayList<>();
        for (String l : lines) {
            if (l.startsWith("sample,")) {
                String[] f = l.split(",");
                out.add(new Sample(f[1], f[2], Long.parseLong(f[3]), Double.parseDouble(f[4])));
            }
        }
        return out;
    }
}
