package io.ds4j.dl4j;

import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.dl4j.precision.GradientCast;
import io.ds4j.dl4j.precision.LossScaleHolder;
import io.ds4j.dl4j.precision.ScaledLossInstaller;
import io.ds4j.precision.Bulk16;
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
 *
 * <p>The one precision driver of every stage: stages 0-2 ({@code RankWorker}, {@code LocalStep}) store the flat
 * gradient with {@link #store(INDArray, int)} and decide with {@link #afterStep}; stage 3's ranks store each layer's
 * gradient with {@link #store(float[], int)} after {@link #beginMicroBatch}, turn the reduced shard into the unscaled
 * mean with {@link #reduce} and decide with {@link #decide}, which makes the rank's overflow flag global and then
 * takes the same {@link #afterStep} decision.
 */
public final class RankPrecision {

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
    private int microBatch = 1;     // stage 3: the current micro-batch's size and share of the global batch
    private double weight = 1.0;
    private boolean overflow;       // stage 3: this rank's flag since the last decide
    private boolean lastSkipped;

    /**
     * @param config the engine's precision
     * @param rank   the rank (rank 0 logs skipped steps)
     */
    public RankPrecision(EnginePrecision config, int rank) {
        this.config = config;
        this.rank = rank;
        PrecisionPolicy p = config.policy();
        this.cast = p.gradients() == Precision.FP32 ? null : new GradientCast(p.gradients());
        this.communication = p.communication();
        this.scale = config.initialScale();
    }

    /** True for fp16 or bf16 training. */
    public boolean mixed() {
        return config.mixed();
    }

    /**
     * Refuses what mixed precision cannot honour yet: DL4J parameters whose "gradient" is an update (BatchNorm's
     * running statistics) would be scaled and rounded like gradients.
     */
    public void requireSupported(FlatLayout flat) {
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

    /** @return the scale of the current step (after a step: of the next) */
    public LossScale scale() {
        return scale;
    }

    /** @param s the scale of the next step (a checkpoint's load) */
    public void restoreScale(LossScale s) {
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
        config.policy().parameters().roundInPlace(values, 0, values.length);
    }

    /** Rounds {@code values[from, +n)} in place to the 16-bit format of the compute copy (nothing for fp32). */
    void roundCompute(float[] values, int from, int n) {
        config.policy().parameters().roundInPlace(values, from, n);
    }

    /** Rounds FLOAT parameters in place to the 16-bit format of the compute copy. */
    void roundCompute(INDArray params) {
        Precision stored = config.policy().parameters();
        if (!params.isEmpty() && stored != Precision.FP32) {
            Bulk16.of(stored).roundInPlace(params);
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
    public static double flushedFraction(java.util.List<RankPrecision> ranks) {
        long nz = 0;
        long fl = 0;
        for (RankPrecision r : ranks) {
            nz += r.nonZero;
            fl += r.flushed;
        }
        return nz == 0 ? 0.0 : fl / (double) nz;
    }

    /** The format the parameter shards and compute copies are kept in. */
    public Precision parameters() {
        return config.policy().parameters();
    }

    /** True when the rank's network or layers compute in HALF (fp16 compute; see {@code EnginePrecision.Compute}). */
    public boolean halfCompute() {
        return config.halfCompute();
    }

    /** Stage 3, fp16: installs the scaled loss in the rank's own layers' configurations. */
    public void install(org.deeplearning4j.nn.api.Layer[] rankLayers) {
        if (config.fp16().enabled()) {
            installer = ScaledLossInstaller.install(rankLayers, holder);
        }
    }

    /**
     * Stage 3, before a micro-batch's forward and backward: its size, the scale its loss gradient carries
     * ({@link #beforeBackward(long)}) and its share of the global batch ({@link io.ds4j.dl4j.precision.ExampleWeight},
     * 1 for an even split), which {@link #store(float[], int)} applies after the rounding.
     */
    public void beginMicroBatch(int size, double share) {
        microBatch = size;
        weight = share;
        beforeBackward(size);
    }

    /** Whether {@link #store} leaves every gradient as it is (fp32 gradients, no mixed precision). */
    public boolean storeIsIdentity() {
        return !halfCompute() && cast == null && !mixed();
    }

    /**
     * Stage 3: rounds {@code full[0, n)}, a layer's summed (scaled) gradient, to the stored 16-bit micro-batch mean
     * and weighs it; with HALF compute it already is one (read exactly from the HALF layer) and is only checked for
     * Inf/NaN. An Inf or NaN raises this rank's flag until {@link #decide}.
     */
    public void store(float[] full, int n) {
        if (halfCompute()) {
            overflow |= io.ds4j.precision.Overflow.hasInfOrNaN(full, 0, n);
        } else if (cast != null) {
            int before = countNonZero(full, n);
            overflow |= cast.roundInPlace(full, 0, n, microBatch, 1.0);
            nonZero += before;
            flushed += before - countNonZero(full, n);
        }
        if (mixed()) {
            io.ds4j.dl4j.precision.ExampleWeight.apply(full, n, weight);
        }
    }

    /**
     * Stage 3: turns the accumulated shard {@code g[0, n)} (sum over ranks and micro-batches of stored gradients)
     * into the unscaled fp32 mean: divide by {@code world}, round to {@code communication_data_type}, divide by
     * {@code accumulation} and by the scale.
     */
    public void reduce(float[] g, int n, int world, int accumulation) {
        for (int i = 0; i < n; i++) {
            g[i] /= world;
        }
        if (communication != Precision.FP32) {
            overflow |= new GradientCast(communication).roundInPlace(g, 0, n, 1, 1.0);
        }
        double s = scale.value();
        for (int i = 0; i < n; i++) {
            g[i] = (float) (g[i] / accumulation / s);
        }
    }

    /**
     * Stage 3: the step's decision. The rank's flag becomes global ({@code allReduceMax}) and is cleared, then
     * {@link #afterStep} moves the scale (fp32: nothing is skipped and nothing is communicated).
     *
     * @return true when the step is skipped
     * @throws io.ds4j.precision.LossScaleException when the scale cannot decrease any more (on every rank alike)
     */
    public boolean decide(io.ds4j.zero.comm.Collectives comm) {
        if (!mixed()) {
            lastSkipped = false;
            return false;
        }
        boolean global = comm.allReduceMax(overflow ? 1 : 0) > 0;
        overflow = false;
        lastSkipped = afterStep(global);
        return lastSkipped;
    }

    /** @return whether the last {@link #decide} skipped its step */
    public boolean lastSkipped() {
        return lastSkipped;
    }

    /** Stage-3 elements stored so far that were non-zero before rounding, and those that the rounding flushed. */
    public long[] flushCounts() {
        return new long[] {nonZero, flushed};
    }

    /** Stage 3: puts the rank's own loss functions back ({@link #endFit}). */
    public void close() {
        endFit();
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
