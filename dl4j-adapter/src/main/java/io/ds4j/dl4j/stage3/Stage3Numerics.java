package io.ds4j.dl4j.stage3;

import io.ds4j.zero.stage3.PiecewiseShardUpdate;
import io.ds4j.dl4j.EnginePrecision;
import io.ds4j.zero.step.GradientClipping;
import java.util.Objects;

/**
 * How a stage-3 trainer computes besides the stage-3 knobs, fixed when it is created: the precision ({@code fp16},
 * {@code bf16} or fp32), the optimizer (a DeepSpeed {@code optimizer} section run by a fused kernel on the fp32
 * master shards, or null for the network's own DL4J updaters), {@code gradient_clipping} and
 * {@code gradient_accumulation_steps}.
 *
 * @param precision    the engine's precision
 * @param optimizer    the DeepSpeed optimizer, or null
 * @param clipping     DeepSpeed's global-norm clipping over all shards
 * @param accumulation micro-batches per rank and step, {@code >= 1}
 */
public record Stage3Numerics(EnginePrecision precision, PiecewiseShardUpdate optimizer, GradientClipping clipping,
                             int accumulation) {
    /** Checks every part. */
    public Stage3Numerics {
        Objects.requireNonNull(precision, "precision (EnginePrecision.fp32() for plain fp32)");
        Objects.requireNonNull(clipping, "gradient_clipping (GradientClipping.NONE for none)");
        if (accumulation < 1) {
            throw new IllegalArgumentException("gradient_accumulation_steps: " + accumulation + " must be >= 1");
        }
    }

    /** @param precision the precision @param optimizer the optimizer or null; no clipping, no accumulation */
    public Stage3Numerics(EnginePrecision precision, PiecewiseShardUpdate optimizer) {
        this(precision, optimizer, GradientClipping.NONE, 1);
    }

    /** fp32 with the network's own DL4J updaters, no clipping, one micro-batch per rank. */
    public static Stage3Numerics fp32() {
        return new Stage3Numerics(EnginePrecision.fp32(), null);
    }

    /** @param c {@code gradient_clipping} @return these numerics with it */
    public Stage3Numerics withClipping(GradientClipping c) {
        return new Stage3Numerics(precision, optimizer, c, accumulation);
    }

    /** @param steps {@code gradient_accumulation_steps} @return these numerics with it */
    public Stage3Numerics withAccumulation(int steps) {
        return new Stage3Numerics(precision, optimizer, clipping, steps);
    }
}
