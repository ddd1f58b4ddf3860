package io.ds4j.zero.offload;

import java.util.Objects;

import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.kernels.VectorStorage;

/**
 * The per-step inputs of a store's optimizer step, covering the whole shard.
 *
 * @param gradients   the shard's reduced gradient (any storage), read once
 * @param args        step number, learning rate, gradient multiplier
 * @param computeCopy where the updated parameters are written in their storage type, or {@code null}
 */
public record StepInput(VectorStorage gradients, StepArgs args, VectorStorage computeCopy) {
    /** Checks for nulls. */
    public StepInput {
        Objects.requireNonNull(gradients, "gradients");
        Objects.requireNonNull(args, "args");
    }

    /** The inputs for elements {@code [from, from + length)} of the shard. */
    StepInput slice(long from, int length) {
        return new StepInput(Slices.of(gradients, from, length), args,
                computeCopy == null ? null : Slices.of(computeCopy, from, length));
    }
}
