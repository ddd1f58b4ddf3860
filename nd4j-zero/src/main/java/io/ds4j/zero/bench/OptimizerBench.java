package io.ds4j.zero.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import io.ds4j.zero.kernels.FusedAdagrad;
import io.ds4j.zero.kernels.FusedAdam;
import io.ds4j.zero.kernels.FusedLamb;
import io.ds4j.zero.kernels.FusedLion;
import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.FusedSgd;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.OptimizerBuffers;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.kernels.VectorStorage;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Measures, in one run, the machine's bandwidth (before and after the kernels, the faster kept), each fused kernel on
 * heap fp32 shards (gradients unscaled on the fly), and ND4J's Adam step on the same number of elements. Allocates 4
 * heap arrays and about 5 ND4J vectors of {@code elements} floats.
 */
public final class OptimizerBench {
    /** Nominal bytes per element of the Adam step: read g, p, m, v; write p, m, v. */
    public static final int ADAM_BYTES = 28;

    private OptimizerBench() {
    }

    /**
     * The outcome of one run.
     *
     * @param elements  elements per step
     * @param threads   kernel and bandwidth threads
     * @param bandwidth copy, triad, read-modify-write
     * @param fused     the fused kernels, Adam first
     * @param nd4jAdam  ND4J's Adam step
     */
    public record Report(long elements, int threads, List<Throughput> bandwidth, List<Throughput> fused,
            Throughput nd4jAdam) {
        /** The read-modify-write bandwidth, the limit of a fused step. */
        public Throughput readModifyWrite() {
            return bandwidth.get(bandwidth.size() - 1);
        }

        /** Fused Adam. */
        public Throughput fusedAdam() {
            return fused.get(0);
        }

        /** Fused Adam's elements/s over ND4J's Adam step's. */
        public double adamSpeedup() {
            return fusedAdam().elementsPerSecond() / nd4jAdam.elementsPerSecond();
        }

        /** Fused Adam's bandwidth at 28 B/elem as a percentage of the read-modify-write bandwidth. */
        public double adamPercentOfReadModifyWrite() {
            return 100 * fusedAdam().gigabytesPerSecond(ADAM_BYTES) / readModifyWrite().gigabytesPerSecond();
        }

        /** The report as printed by {@code ds4j bench optimizer}. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            out.add(String.format(Locale.ROOT, "ds4j bench optimizer: %,d fp32 elements, %d threads", elements,
                    threads));
            out.add("memory bandwidth (Java STREAM-like loops, the limit):");
            bandwidth.forEach(t -> out.add(t.line()));
            out.add("optimizer step:");
            fused.forEach(t -> out.add(t.line()));
            out.add(nd4jAdam.line());
            out.add(String.format(Locale.ROOT, "Adam: fused %.1fx ND4J's Adam step (%.3e vs %.3e elements/s)",
                    adamSpeedup(), fusedAdam().elementsPerSecond(), nd4jAdam.elementsPerSecond()));
            out.add(String.format(Locale.ROOT, "fused Adam at %d B/elem: %.2f GB/s = %.1f%% of the measured"
                    + " read-modify-write bandwidth (%.2f GB/s)", ADAM_BYTES, fusedAdam().gigabytesPerSecond(
                    ADAM_BYTES), adamPercentOfReadModifyWrite(), readModifyWrite().gigabytesPerSecond()));
            return out;
        }
    }

    /** Runs everything; {@code warmup} untimed and {@code repeats} timed repetitions each, the best one kept. */
    public static Report run(int elements, int threads, int warmup, int repeats) {
        float[] g = new float[elements];
        float[] p = new float[elements];
        float[] m = new float[elements];
        float[] v = new float[elements];
        try (KernelPool pool = new KernelPool(threads)) {
            List<Throughput> before = new MemoryBandwidth(p, m, v, g).measure(pool, warmup, repeats);
            for (int i = 0; i < elements; i++) {
                g[i] = ((i * 2654435761L) % 2001 - 1000) * 1e-3f * 1024;
                p[i] = (i % 1000) * 1e-3f;
            }
            List<Throughput> fused = new ArrayList<>();
            fused.add(fused(FusedAdam.deepSpeedDefaults(), "fused Adam (adam_w_mode)", ADAM_BYTES, g, p, m, v, pool,
                    warmup, repeats));
            fused.add(fused(new FusedSgd(0.9f, 0f, false, 0f), "fused SGD (momentum)", 20, g, p, m, v, pool, warmup,
                    repeats));
            fused.add(fused(new FusedAdagrad(1e-10f, 0f), "fused Adagrad", 20, g, p, m, v, pool, warmup, repeats));
            fused.add(fused(new FusedLion(new io.ds4j.zero.kernels.Betas(0.9f, 0.99f), 0f), "fused Lion", 20, g, p,
                    m, v, pool, warmup, repeats));
            fused.add(fused(FusedLamb.deepSpeedDefaults(), "fused Lamb (2 passes, one tensor)", 40, g, p, m, v,
                    pool, warmup, repeats));
            // the limit is measured before and after the kernels and the faster of each loop is kept, so a slow
            // moment of a shared machine does not lower the limit the kernels are compared with
            List<Throughput> after = new MemoryBandwidth(p, m, v, g).measure(pool, warmup, repeats);
            List<Throughput> bw = new ArrayList<>();
            for (int i = 0; i < before.size(); i++) {
                bw.add(before.get(i).seconds() <= after.get(i).seconds() ? before.get(i) : after.get(i));
            }
            return new Report(elements, threads, bw, fused, nd4jAdam(elements, warmup, repeats));
        }
    }

    private static Throughput fused(FusedOptimizer opt, String name, int bytes, float[] g, float[] p, float[] m,
            float[] v, KernelPool pool, int warmup, int repeats) {
        Arrays.fill(m, 0f);
        Arrays.fill(v, 0f);
        OptimizerBuffers b = opt.stateWords() == 2
                ? OptimizerBuffers.of(VectorStorage.of(g), VectorStorage.of(p), VectorStorage.of(m),
                        VectorStorage.of(v))
                : OptimizerBuffers.of(VectorStorage.of(g), VectorStorage.of(p), VectorStorage.of(m));
        long[] step = {0};
        return Throughput.best(name, bytes, g.length, warmup, repeats,
                () -> opt.step(b, new StepArgs(++step[0], 1e-3f, 1f / 1024), pool));
    }

    /** ND4J's Adam step as a DL4J updater runs it: assign, applyUpdater, subi. */
    static Throughput nd4jAdam(int elements, int warmup, int repeats) {
        INDArray params = Nd4j.rand(DataType.FLOAT, 1, elements);
        INDArray grads = Nd4j.rand(DataType.FLOAT, 1, elements);
        INDArray update = Nd4j.create(DataType.FLOAT, 1, elements);
        INDArray state = Nd4j.zeros(DataType.FLOAT, 1, 2L * elements);
        AdamUpdater u = new AdamUpdater(new Adam(1e-3));
        u.setStateViewArray(state, new long[] {1, elements}, 'c', true);
        int[] iteration = {0};
        Throughput t = Throughput.best("ND4J Adam step (assign + applyUpdater + subi)", ADAM_BYTES, elements, warmup,
                repeats, () -> {
                    update.assign(grads);
                    u.applyUpdater(update, iteration[0]++, 0);
                    params.subi(update);
                });
        Nd4j.getMemoryManager().invokeGc();
        return t;
    }
}
