package io.ds4j.dl4j.stage3;

import io.ds4j.dl4j.EnginePrecision;
import java.util.Objects;

/**
 * How a stage-3 trainer computes besides the stage-3 knobs: the precision ({@code fp16}, {@code bf16} or fp32) and
 * the optimizer (a DeepSpeed {@code optimizer} section run by a fused kernel on the fp32 master shards, or null for
 * the network's own DL4J updaters).
 *
 * @param precision the engine's precision
 * @param optimizer the DeepSpeed optimizer, or null
 */
public record Stage3Numerics(EnginePrecision precision, FusedShardUpdate optimizer) {
    /** Checks the precision. */
    public Stage3Numerics {
        Objects.requireNonNull(precision, "precision (EnginePrecision.fp32() for plain fp32)");
    }

    /** fp32 with the network's own DL4J updaters. */
    public static Stage3Numerics fp32() {
        return new Stage3Numerics(EnginePrecision.fp32(), null);
    }
}
