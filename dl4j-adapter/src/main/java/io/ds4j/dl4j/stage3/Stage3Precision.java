package io.ds4j.dl4j.stage3;

import io.ds4j.dl4j.EnginePrecision;
import io.ds4j.dl4j.FlatLayout;
import io.ds4j.dl4j.precision.ExampleWeight;
import io.ds4j.dl4j.precision.GradientCast;
import io.ds4j.dl4j.precision.LossScaleHolder;
import io.ds4j.dl4j.precision.ScaledLossInstaller;
import io.ds4j.precision.LossScale;
import io.ds4j.precision.Overflow;
import io.ds4j.precision.Precision;
import io.ds4j.zero.comm.Collectives;
import org.deeplearning4j.nn.api.Layer;

/**
 * One stage-3 rank's mixed-precision state (fp16 or bf16; inert in fp32), with the same rounding points as stages
 * 0-2 ({@code io.ds4j.dl4j.RankPrecision}):
 * <ol>
 *   <li>fp16: the rank's own output layers compute the loss through a {@link io.ds4j.dl4j.precision.ScaledLoss}
 *       (installed in the rank's clone of the configuration, so the user's network is never touched), so DL4J's
 *       summed gradient carries the current scale;</li>
 *   <li>each layer's gradient, just before its reduce-scatter, is stored as {@code round16(g / m)}
 *       ({@link GradientCast}, m the micro-batch size): the 16-bit micro-batch mean, scale included;</li>
 *   <li>at the step the reduced shard (summed over ranks and micro-batches) is divided by the world size, rounded to
 *       {@code communication_data_type}, divided by the accumulation steps and unscaled into fp32;</li>
 *   <li>any Inf or NaN on any rank ({@code allReduceMax}) skips the whole step and moves the {@link LossScale}.</li>
 * </ol>
 * With HALF compute (fp16 on CUDA, or when asked) the rank's layers are HALF layers: the loss gradient carries
 * {@code scale / m} (computed in fp32 by the scaled loss and rounded to HALF once), so step 2's stored gradient is
 * what the HALF backward pass produces; it is read exactly and only checked for Inf/NaN.
 */
final class Stage3Precision {
    private static final System.Logger LOG = System.getLogger("io.ds4j.dl4j.ZeroTrainer");

    private final EnginePrecision config;
    private final GradientCast cast;
    private final GradientCast communication;
    private final LossScaleHolder holder = new LossScaleHolder();
    private final int rank;
    private LossScale scale;
    private ScaledLossInstaller installer;
    private int microBatch = 1;
    private double weight = 1.0;
    private boolean overflow;
    private boolean lastSkipped;
    private long nonZero;
    private long flushed;

    Stage3Precision(EnginePrecision config, int rank) {
        this.config = config;
        this.rank = rank;
        Precision g = config.policy().gradients();
        Precision c = config.policy().communication();
        this.cast = g == Precision.FP32 ? null : new GradientCast(g);
        this.communication = c == Precision.FP32 ? null : new GradientCast(c);
        this.scale = config.initialScale();
    }

    /** True for fp16 or bf16. */
    boolean mixed() {
        return config.mixed();
    }

    /** The format the parameter shards the gathers read are kept in. */
    Precision parameters() {
        return config.policy().parameters();
    }

    /**
     * Refuses parameters whose DL4J "gradient" is a running-statistics update (BatchNorm), which would be scaled and
     * rounded like gradients, as stages 0-2 do.
     */
    void requireSupported(FlatLayout flat) {
        if (!mixed()) {
            return;
        }
        for (FlatLayout.Slot s : flat.slots()) {
            if (!s.dividedByMinibatch()) {
                String key = parameters().key();
                throw new IllegalArgumentException(key + ".enabled: true cannot train layer "
                        + s.layer().getConfig().getLayerName() + " parameter " + s.name() + ", whose DL4J "
                        + "\"gradient\" is a running-statistics update (e.g. BatchNormalization); train this network "
                        + "in fp32 (set " + key + ".enabled to false)");
            }
        }
    }

    /** fp16: installs the scaled loss in the rank's own layers' configurations. */
    void install(Layer[] rankLayers) {
        if (config.fp16().enabled()) {
            installer = ScaledLossInstaller.install(rankLayers, holder);
        }
    }

    /** True when the rank's layers are HALF layers (fp16 compute; see {@code EnginePrecision.Compute}). */
    boolean halfCompute() {
        return config.halfCompute();
    }

    /**
     * Before a micro-batch's forward and backward: its size, the scale its loss gradient carries (with HALF compute
     * {@code scale / m}, so the HALF layers' summed gradient is already the stored micro-batch mean) and its share of
     * the global batch ({@link io.ds4j.dl4j.precision.ExampleWeight}, 1 for an even split), which {@link #store}
     * applies after the rounding.
     */
    void beginMicroBatch(int size, double weight) {
        microBatch = size;
        this.weight = weight;
        holder.set(halfCompute() ? scale.value() / size : scale.value());
    }

    /**
     * Rounds {@code full[0, n)}, a layer's summed (scaled) gradient, to the stored 16-bit micro-batch mean; with
     * HALF compute it already is one (read exactly from the HALF layer) and is only checked for Inf/NaN.
     */
    void store(float[] full, int n) {
        if (halfCompute()) {
            overflow |= Overflow.hasInfOrNaN(full, 0, n);
        } else if (cast != null) {
            int before = countNonZero(full, n);
            overflow |= cast.roundInPlace(full, 0, n, microBatch, 1.0);
            nonZero += before;
            flushed += before - countNonZero(full, n);
        }
        if (mixed()) {
            ExampleWeight.apply(full, n, weight);
        }
    }

    private static int countNonZero(float[] a, int n) {
        int c = 0;
        for (int i = 0; i < n; i++) {
            c += a[i] != 0f ? 1 : 0;
        }
        return c;
    }

    /** Stored-gradient elements so far that were non-zero before rounding, and those that the rounding flushed. */
    long[] flushCounts() {
        return new long[] {nonZero, flushed};
    }

    /**
     * Turns the accumulated shard {@code g[0, n)} (sum over ranks and micro-batches of stored gradients) into the
     * unscaled fp32 mean: divide by {@code world}, round to {@code communication_data_type}, divide by
     * {@code accumulation} and by the scale.
     */
    void reduce(float[] g, int n, int world, int accumulation) {
        for (int i = 0; i < n; i++) {
            g[i] /= world;
        }
        if (communication != null) {
            overflow |= communication.roundInPlace(g, 0, n, 1, 1.0);
        }
        double s = scale.value();
        for (int i = 0; i < n; i++) {
            g[i] = (float) (g[i] / accumulation / s);
        }
    }

    /**
     * The global decision of the step: moves the scale, logs a skipped step on rank 0 and clears the flag.
     *
     * @return true when the step is skipped
     * @throws io.ds4j.precision.LossScaleException when the scale cannot decrease any more (on every rank alike)
     */
    boolean decide(Collectives comm) {
        if (!mixed()) {
            lastSkipped = false;
            return false;
        }
        boolean global = comm.allReduceMax(overflow ? 1 : 0) > 0;
        overflow = false;
        boolean skip = global && config.skipsOverflow();
        LossScale next = config.nextScale(scale, skip, rank);
        if (skip && rank == 0) {
            LOG.log(System.Logger.Level.INFO, config.fp16().enabled() ? scale.overflowMessage(rank, next)
                    : LossScale.overflowHead(rank) + " (bf16 gradients hold Inf or NaN; check_grad_overflow)");
        }
        scale = next;
        lastSkipped = skip;
        return skip;
    }

    /** @return the scale of the next step */
    LossScale scale() {
        return scale;
    }

    /** @return whether the last step was skipped */
    boolean lastSkipped() {
        return lastSkipped;
    }

    /** Puts the rank's own loss functions back. */
    void close() {
        if (installer != null) {
            installer.close();
            installer = null;
        }
    }
}
