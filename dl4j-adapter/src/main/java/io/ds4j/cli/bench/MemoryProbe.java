package io.ds4j.cli.bench;

import io.ds4j.cli.train.StepBatches;
import io.ds4j.cli.train.TrainJob;
import io.ds4j.cli.train.WideDigitsModel;
import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.data.OptDigits;
import io.ds4j.dl4j.ZeroTrainer;
import io.ds4j.zero.dist.Distributed;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * The child JVM of {@code bench memory} and {@code bench capacity}: runs one {@link ProbeSetup} and prints what it
 * held as {@code ds4j-probe.<key>=<value>} lines on stdout ({@link ProbeResult} reads them). Exit 0 when the setup
 * ran, 3 when it failed (the failure is printed as {@code ds4j-probe.error}), 2 on bad arguments.
 *
 * <p>The network is {@link WideDigitsModel}'s as a {@link MultiLayerNetwork}, initialised by every mode but
 * {@link ProbeSetup.Mode#ZERO_INIT}, which hands it to stage 3 uninitialised (partitioned construction).
 *
 * <p><b>Baseline</b> ({@link ProbeSetup.Mode#BASELINE}): the JVM loads ND4J, the OptDigits batches and builds and
 * initialises the same network (its flat fp32 parameters, 4Ψ bytes), runs one forward pass of one batch (which loads
 * the native kernels), and never computes a gradient nor creates an updater's state.
 *
 * <p>The peaks ({@code vmhwm}, the sampler's) are read when the measured work ends: for the ZeRO modes with the
 * trainer still open after training, before {@link #liveBytes}'s full collections, which are this probe's own
 * measurement, not training: run after the baseline and {@code fit()} children's work, the same collections raised
 * their VmHWM by 7.4 and 10.1 MiB (at {@code --params 100000}), a cost those children never pay.
 */
public final class MemoryProbe {
    /** Prefix of every result line. */
    public static final String PREFIX = "ds4j-probe.";

    private MemoryProbe() {
    }

    /** @param args {@link ProbeSetup#toArgs()} */
    public static void main(String[] args) {
        ProbeSetup setup;
        try {
            setup = ProbeSetup.parse(Arrays.asList(args));
        } catch (RuntimeException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        int code = run(setup, System.out);
        System.out.flush();
        System.exit(code);
    }

    /**
     * @param setup what to run
     * @param out where the result lines go
     * @return 0 when it ran, 3 when it failed
     */
    static int run(ProbeSetup setup, PrintStream out) {
        int width = WideDigitsModel.widthFor(setup.size().params());
        print(out, "width", width);
        print(out, "psi", WideDigitsModel.params(WideDigitsModel.HIDDEN_LAYERS, width));
        print(out, "max_bytes", Pointer.maxBytes());
        print(out, "max_physical_bytes", Pointer.maxPhysicalBytes());
        print(out, "max_heap_bytes", Runtime.getRuntime().maxMemory());
        PeakSampler sampler = PeakSampler.start();
        Peaks[] trained = {null};
        int code = 0;
        long t0 = System.nanoTime();
        try {
            List<DataSet> batches = StepBatches.of(OptDigits.split(TrainJob.TRAIN_SIZE, TrainJob.SEED)[0],
                    setup.globalBatch(), Math.max(1, setup.size().steps()), TrainJob.SEED);
            MultiLayerNetwork net = new MultiLayerNetwork(WideDigitsModel.layers(new Adam(ProbeSetup.LR),
                    TrainJob.SEED, width));
            if (setup.mode() != ProbeSetup.Mode.ZERO_INIT) {
                net.init(); // ZERO_INIT: stage 3 builds it partitioned, its flat vector never allocated
            }
            switch (setup.mode()) {
                case BASELINE -> net.output(batches.get(0).getFeatures());
                case FIT -> net.fit(StepBatches.iterator(batches));
                case ZERO, ZERO_INIT -> trained[0] = zero(setup, net, batches, out, sampler);
            }
            print(out, "status", "ok");
        } catch (Throwable e) {
            code = 3;
            print(out, "status", "failed");
            print(out, "oom", String.valueOf(isOutOfMemory(e)));
            print(out, "error", describe(e));
        }
        print(out, "seconds", String.format(Locale.ROOT, "%.2f", (System.nanoTime() - t0) / 1e9));
        Peaks p = trained[0] != null ? trained[0] : Peaks.read(sampler);
        print(out, "vmhwm", p.vmhwm());
        print(out, "rss_end", p.rssEnd());
        print(out, "physical_peak", p.physical());
        print(out, "javacpp_total_peak", p.total());
        print(out, "heap_peak", p.heap());
        return code;
    }

    /**
     * The peaks of the measured work, read when it ends: the process's VmHWM and the sampler's peaks.
     *
     * @param vmhwm    the process's peak resident bytes
     * @param rssEnd   its resident bytes when the work ended (read first: the peak read after covers it)
     * @param physical the sampler's peak of JavaCPP physical bytes
     * @param total    its peak of JavaCPP total bytes
     * @param heap     its peak of Java heap in use
     */
    record Peaks(long vmhwm, long rssEnd, long physical, long total, long heap) {
        /** Stops the sampler and reads the peaks. */
        static Peaks read(PeakSampler sampler) {
            sampler.close();
            long rss = ProcStatus.rssBytes();
            return new Peaks(ProcStatus.peakRssBytes(), rss, sampler.physicalPeak(), sampler.totalPeak(),
                    sampler.heapPeak());
        }
    }

    /**
     * Trains with {@code ZeroTrainer}: N ranks in this JVM, or, started as one of N rank processes (torchrun's
     * variables, {@link ChildJvm#runRanks}), this process's rank on its own micro-batches.
     */
    private static Peaks zero(ProbeSetup setup, MultiLayerNetwork net, List<DataSet> batches, PrintStream out,
            PeakSampler sampler) {
        DeepSpeedConfig config = DeepSpeedConfig.parse(setup.json());
        Distributed d = Distributed.fromEnvironment();
        ZeroTrainer.Builder b = ZeroTrainer.builder(net).config(config);
        b = d.isMultiProcess() ? b.distributed(d) : b.worldSize(setup.size().worldSize());
        List<DataSet> mine = d.isMultiProcess() ? StepBatches.forRank(batches, d.rank(), d.worldSize(), 1) : batches;
        long[] open;
        Peaks peaks;
        try (ZeroTrainer trainer = b.build()) {
            try {
                trainer.fit(StepBatches.iterator(mine));
            } finally {
                ledger(trainer.memoryReport(), out);
            }
            peaks = Peaks.read(sampler); // before the full collections below, which are this probe's, not training's
            open = liveBytes();
        }
        long[] closed = liveBytes();
        print(out, "live.open", open[0]);
        print(out, "live.closed", closed[0]);
        print(out, "held.native", open[0] - closed[0]);
        print(out, "held.heap", open[1] - closed[1]);
        return peaks;
    }

    /**
     * What the process holds live: {resident bytes, Java heap in use}, each the least of a few readings after full
     * collections (which also let ND4J free the native buffers of unreachable arrays). Read with the trainer open
     * after training and again right after it closed, the difference is what the trainer held ({@code held.native},
     * {@code held.heap}): the resident set does not see heap objects freed (the heap stays committed), the heap
     * reading does. Before each reading glibc is asked to give its free memory back ({@link #trimNativeHeap}): a
     * buffer freed into a malloc arena stays resident otherwise, and the trainer's closed buffers would still count
     * in the "closed" reading (with {@code MALLOC_ARENA_MAX=2} a 2-process rank's closed reading kept most of them).
     * And the collector is told to keep its heap ({@code MaxHeapFreeRatio=100}, a manageable flag): G1 otherwise gives
     * the regions the trainer's heap objects freed back to the system after the closed reading's collections, and
     * the resident bytes' drop counted them a second time (a 1-process rank's trainer "held" its 122 MiB of Adam
     * moments twice).
     */
    static long[] liveBytes() {
        try {
            java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .setVMOption("MaxHeapFreeRatio", "100");
        } catch (IllegalArgumentException e) {
            // a JVM without the flag: the resident bytes may drop with the heap
        }
        long rss = Long.MAX_VALUE;
        long heap = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            try {
                Thread.sleep(100); // ND4J's deallocator thread frees what the collection found
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            trimNativeHeap();
            rss = Math.min(rss, ProcStatus.rssBytes());
            heap = Math.min(heap, java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage()
                    .getUsed());
        }
        return new long[] {rss, heap};
    }

    /**
     * Asks glibc to return its free memory to the system ({@code malloc_trim}, through the JVM's diagnostic command
     * {@code System.trim_native_heap}, JDK 17.0.9 and later); nothing where the command is missing.
     */
    static void trimNativeHeap() {
        try {
            java.lang.management.ManagementFactory.getPlatformMBeanServer().invoke(
                    new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "systemTrimNativeHeap", new Object[] {null}, new String[] {String[].class.getName()});
        } catch (javax.management.JMException | RuntimeException e) {
            // an older JDK or another C library: the readings keep what malloc holds
        }
    }

    /** Prints the peaks of the rank whose tier peaks sum highest. */
    static void ledger(List<LedgerSnapshot> ranks, PrintStream out) {
        LedgerSnapshot top = null;
        long topSum = -1;
        for (LedgerSnapshot s : ranks) {
            long sum = 0;
            for (MemoryTier t : MemoryTier.values()) {
                sum += s.tierPeakBytes(t);
            }
            if (sum > topSum) {
                top = s;
                topSum = sum;
            }
        }
        if (top == null) {
            return;
        }
        print(out, "ledger.rank", top.rank());
        print(out, "ledger.peak", topSum);
        for (MemoryTier t : MemoryTier.values()) {
            print(out, "ledger.tier." + t, top.tierPeakBytes(t));
            for (MemoryCategory c : MemoryCategory.values()) {
                print(out, "ledger." + c + "." + t, top.peakBytes(c, t));
            }
        }
    }

    private static boolean isOutOfMemory(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError || String.valueOf(t.getMessage()).contains("OutOfMemoryError")) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = root == e ? e.toString() : e.getClass().getSimpleName() + " caused by " + root;
        return text.replace('\n', ' ').replace('\r', ' ');
    }

    private static void print(PrintStream out, String key, Object value) {
        out.println(PREFIX + key + "=" + value);
    }
}
