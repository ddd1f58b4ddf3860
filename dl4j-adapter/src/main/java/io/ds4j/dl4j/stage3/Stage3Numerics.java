package io.ds4j.dl4j.stage3;

import io.ds4j.zero.stage3.PiecewiseShardUpdate;
import io.ds4j.dl4j.EnginePrecision;
import io.ds4j.zero.step.GradientClipping;
import java.util.Objects;

/**
 * How a stage-3 trainer computes besides the stage-3 knobs, fixed when it is created: the precision ({@code fp16},
 * {@code bf16} or fp32), the optimizer (a DeepSpeed {@code optimizer} section run by a fused kernel on the fp32
 * master shards, or null for the network's own DL4J updaters) and {@code gradient_clipping}.
 * ({@code gradient_accumulation_steps} is the number of micro-batches each rank is given per step.)
 *
 * @param precision    the engine's precision
 * @param optimizer    the DeepSpeed optimizer, or null
 * @param clipping     DeepSpeed's global-norm clipping over all shards
 */
public record Stage3Numerics(EnginePrecision precision, PiecewiseShardUpdate optimizer, GradientClipping clipping) {
    /** Checks every part. */
    public Stage3Numerics {
        Objects.requireNonNull(precision, "precision (EnginePrecision.fp32() for plain fp32)");
        Objects.requireNonNull(clipping, "gradient_clipping (GradientClipping.NONE for none)");
    }

    /** @param precision the precision @param optimizer the optimizer or null; no clipping */
    public Stage3Numerics(EnginePrecision precision, PiecewiseShardUpdate optimizer) {
        this(precision, optimizer, GradientClipping.NONE);
    }

    /** fp32 with the network's own DL4J updaters, no clipping. */
    public static Stage3Numerics fp32() {
        return new Stage3Numerics(EnginePrecision.fp32(), null);
    }

    /** @param c {@code gradient_clipping} @return these numerics with it */
    public Stage3Numerics withClipping(GradientClipping c) {
        return new Stage3Numerics(precision, optimizer, c);
    }
}
