package io.ds4j.dl4j;

import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.dl4j.precision.GradientCast;
import io.ds4j.dl4j.precision.LossScaleHolder;
import io.ds4j.dl4j.precision.ScaledLossInstaller;
import io.ds4j.precision.Bf16;
import io.ds4j.precision.Fp16;
import io.ds4j.precision.LossScale;
import io.ds4j.precision.Precision;
import io.ds4j.precision.PrecisionPolicy;
import java.nio.FloatBuffer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One rank's mixed-precision state and operations (see {@link io.ds4j.dl4j.precision} for the vocabulary): the
 * current {@link LossScale}, the {@link io.ds4j.dl4j.precision.ScaledLoss} functions of its replica while
 * {@code fit} runs, the rounding of each micro-batch's summed gradient to the stored 16-bit gradient, of the reduced
 * gradient to {@code communication_data_type}, and of the compute copy of the parameters. Every rank takes the same
 * decisions (the overflow flag is global), so every rank's scale follows the same trajectory; rank 0 logs.
 * Lives on the rank's thread during {@code fit}; {@link #beginFit} and {@link #endFit} run on the caller's.
 */
final class RankPrecision {

    private static final System.Logger LOG = System.getLogger(ZeroTrainer.class.getName());

    private final EnginePrecision config;
    private final GradientCast cast;
    private final Precision communication;
    private final LossScaleHolder holder = new LossScaleHolder();
    private final int rank;
    private LossScale scale;
    private ScaledLossInstaller installer;
    private long nonZero;
    private long flushed;

    RankPrecision(EnginePrecision config, int rank) {
        this.config = config;
        this.rank = rank;
        PrecisionPolicy p = config.policy();
        this.cast = p.gradients() == Precision.FP32 ? null : new GradientCast(p.gradients());
        this.communication = p.communication();
        this.scale = config.initialScale();
    }

    /** True for fp16 or bf16 training. */
    boolean mixed() {
        return config.mixed();
    }

    /**
     * Refuses what mixed precision cannot honour yet: DL4J parameters whose "gradient" is an update (BatchNorm's
     * running statistics) would be scaled and rounded like gradients.
     */
    void requireSupported(FlatLayout flat) {
        if (!mixed()) {
            return;
        }
        for (FlatLayout.Slot s : flat.slots()) {
            if (!s.dividedByMinibatch()) {
                throw new IllegalArgumentException(config.policy().parameters().key() + ".enabled: true cannot train"
                        + " layer " + s.layer().getConfig().getLayerName() + " parameter " + s.name() + ", whose"
                        + " DL4J \"gradient\" is a running-statistics update (e.g. BatchNormalization); train this "
                        + "network in fp32 (set " + config.policy().parameters().key() + ".enabled to false)");
            }
        }
    }

    /** Before {@code fit}: installs the scaled loss (fp16) and rounds the replica's compute copy. */
    void beginFit(Replica replica) {
        beginFit(replica.net(), replica.params());
    }

    /** Before {@code fit}: installs the scaled loss (fp16) in {@code net} and rounds its flat {@code params}. */
    void beginFit(org.deeplearning4j.nn.api.Model net, INDArray params) {
        if (!mixed()) {
            return;
        }
        if (config.fp16().enabled()) {
            installer = net instanceof MultiLayerNetwork m ? ScaledLossInstaller.install(m, holder)
                    : ScaledLossInstaller.install((ComputationGraph) net, holder);
        }
        beforeBackward();
        if (!config.halfCompute()) {
            roundCompute(params); // a HALF network's parameters are fp16 values already
        }
    }

    /** After {@code fit} (also when it failed): the replica gets its own loss functions back. */
    void endFit() {
        if (installer != null) {
            installer.close();
            installer = null;
        }
    }

    /** Before each backward pass: the scale the loss gradient carries. */
    void beforeBackward() {
        holder.set(scale.value());
    }

    /**
     * Before the backward pass of a micro-batch of {@code m} examples: with FLOAT compute the loss gradient carries
     * the scale (the stored gradient divides by {@code m} later, {@link #store}); with HALF compute it carries
     * {@code scale / m}, so the HALF network's summed gradient is already the stored gradient,
     * {@code scale x (mean-loss gradient)}, and over- or underflows in fp16 where DeepSpeed's would.
     */
    void beforeBackward(long microBatch) {
        holder.set(config.halfCompute() ? scale.value() / microBatch : scale.value());
    }

    /** @return DeepSpeed's name of the 16-bit format ({@code fp16}, {@code bf16}), or {@code fp32} */
    String format() {
        return config.policy().parameters().key();
    }

    /** @return the scale of the current step */
    LossScale scale() {
        return scale;
    }

    /** @param s the scale of the next step (a checkpoint's load) */
    void restoreScale(LossScale s) {
        scale = java.util.Objects.requireNonNull(s, "scale");
    }

    /**
     * Turns a micro-batch's summed FLOAT gradient (the whole flat view, already carrying the loss scale) into the
     * stored gradient in place, {@code round16(g / m)}, counting elements that were non-zero and became zero.
     *
     * @return true when a stored value is Inf or NaN
     */
    boolean store(INDArray flatGradient, int microBatch) {
        if (cast == null) {
            return false;
        }
        return update(flatGradient, (chunk, n) -> {
            int before = countNonZero(chunk, n);
            boolean bad = cast.roundInPlace(chunk, 0, n, microBatch, 1.0);
            int after = countNonZero(chunk, n);
            nonZero += before;
            flushed += before - after;
            return bad;
        });
    }

    /**
     * Weights a micro-batch's stored gradient ({@code g[0, n)}, its 16-bit mean) by its share of the global batch
     * ({@link io.ds4j.dl4j.precision.ExampleWeight}), so that an uneven split averages examples, not micro-batch
     * means; nothing in fp32 (the summed gradient is divided by the global batch later) or when the split is even.
     */
    void weigh(float[] g, int n, long microBatch, int parts, long examples) {
        if (mixed()) {
            io.ds4j.dl4j.precision.ExampleWeight.apply(g, n,
                    io.ds4j.dl4j.precision.ExampleWeight.of(microBatch, parts, examples));
        }
    }

    /** {@link #weigh(float[], int, long, int, long)} in place on a contiguous FLOAT vector (a layer's gradient). */
    void weigh(INDArray g, long microBatch, int parts, long examples) {
        if (!mixed()) {
            return;
        }
        double w = io.ds4j.dl4j.precision.ExampleWeight.of(microBatch, parts, examples);
        if (w != 1.0) {
            update(g, (chunk, n) -> {
                io.ds4j.dl4j.precision.ExampleWeight.apply(chunk, n, w);
                return false;
            });
        }
    }

    /**
     * Rounds the reduced gradient of the update range to {@code communication_data_type} (the reduction buffers hold
     * that format in DeepSpeed).
     *
     * @return true when a reduced value is Inf or NaN
     */
    boolean roundReduced(INDArray gradRange) {
        if (communication == Precision.FP32 || gradRange.isEmpty()) {
            return false;
        }
        GradientCast c = new GradientCast(communication);
        return update(gradRange, (chunk, n) -> c.roundInPlace(chunk, 0, n, 1, 1.0));
    }

    /** Rounds floats in place to the 16-bit format of the compute copy (nothing for fp32). */
    void roundCompute(float[] values) {
        if (config.policy().parameters() == Precision.FP16) {
            Fp16.roundInPlace(values, 0, values.length);
        } else if (config.policy().parameters() == Precision.BF16) {
            Bf16.roundInPlace(values, 0, values.length);
        }
    }

    /** Rounds {@code values[from, +n)} in place to the 16-bit format of the compute copy (nothing for fp32). */
    void roundCompute(float[] values, int from, int n) {
        if (config.policy().parameters() == Precision.FP16) {
            Fp16.roundInPlace(values, from, n);
        } else if (config.policy().parameters() == Precision.BF16) {
            Bf16.roundInPlace(values, from, n);
        }
    }

    /** Rounds FLOAT parameters in place to the 16-bit format of the compute copy. */
    void roundCompute(INDArray params) {
        if (params.isEmpty()) {
            return;
        }
        if (config.policy().parameters() == Precision.FP16) {
            Fp16.roundInPlace(params);
        } else if (config.policy().parameters() == Precision.BF16) {
            Bf16.roundInPlace(params);
        }
    }

    /**
     * Moves the scale to the next step and logs a skipped step on rank 0.
     *
     * @param overflow the global overflow flag of the step
     * @return true when the step is skipped
     * @throws io.ds4j.precision.LossScaleException when the scale cannot decrease any more
     */
    boolean afterStep(boolean overflow) {
        boolean skip = overflow && config.skipsOverflow();
        LossScale next = config.nextScale(scale, skip, rank);
        if (skip && rank == 0) {
            LOG.log(System.Logger.Level.INFO, config.fp16().enabled() ? scale.overflowMessage(rank, next)
                    : LossScale.overflowHead(rank) + " (bf16 gradients hold Inf or NaN; check_grad_overflow)");
        }
        scale = next;
        return skip;
    }

    /**
     * @param ranks the ranks' precision states
     * @return the fraction of stored-gradient elements, over the ranks' micro-batches so far, that were non-zero in
     *         fp32 and became zero when rounded to the 16-bit format (0 before any)
     */
    static double flushedFraction(java.util.List<RankPrecision> ranks) {
        long nz = 0;
        long fl = 0;
        for (RankPrecision r : ranks) {
            nz += r.nonZero;
            fl += r.flushed;
        }
        return nz == 0 ? 0.0 : fl / (double) nz;
    }

    private interface ChunkOp {
        boolean apply(float[] chunk, int n);
    }

    private static int countNonZero(float[] a, int n) {
        int c = 0;
        for (int i = 0; i < n; i++) {
            c += a[i] != 0f ? 1 : 0;
        }
        return c;
    }

    /** Runs {@code op} over a contiguous FLOAT view in chunks, writing the chunks back; ORs the results. */
    private static boolean update(INDArray v, ChunkOp op) {
        if (v.dataType() != DataType.FLOAT || v.elementWiseStride() != 1) {
            throw new IllegalStateException("ds4j keeps 16-bit values in contiguous FLOAT arrays, got "
                    + v.dataType() + " with stride " + v.elementWiseStride());
        }
        FloatBuffer buffer = HostFloats.current(v);
        long len = v.length();
        int base = (int) v.offset();
        float[] chunk = new float[(int) Math.min(len, 8192)];
        boolean bad = false;
        for (long start = 0; start < len; start += chunk.length) {
            int n = (int) Math.min(chunk.length, len - start);
            buffer.get(base + (int) start, chunk, 0, n);
            bad |= op.apply(chunk, n);
            buffer.put(base + (int) start, chunk, 0, n);
        }
        HostFloats.written(v);
        return bad;
    }
}
