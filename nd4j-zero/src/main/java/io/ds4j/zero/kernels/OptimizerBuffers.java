package io.ds4j.zero.kernels;

import java.util.List;
import java.util.Objects;

/**
 * The vectors one kernel step works on, all of the same length (a shard, or a range of it).
 *
 * @param gradients   read once per step, any storage; multiplied by {@link StepArgs#gradMultiplier()}
 * @param master      fp32 master weights, updated in place
 * @param state       fp32 optimizer state vectors, as many as {@link FusedOptimizer#stateWords()}, in the order the
 *                    optimizer documents (e.g. Adam: exp_avg, exp_avg_sq); zero before the first step
 * @param computeCopy where the updated parameters are written in their storage type, or {@code null} when the master
 *                    is itself the compute copy
 */
public record OptimizerBuffers(VectorStorage gradients, Fp32Storage master, List<Fp32Storage> state,
        VectorStorage computeCopy) {
    /** Checks that all lengths agree. */
    public OptimizerBuffers {
        Objects.requireNonNull(gradients, "gradients");
        Objects.requireNonNull(master, "master");
        state = List.copyOf(state);
        long n = master.length();
        check("gradients", gradients.length(), n);
        for (int i = 0; i < state.size(); i++) {
            check("state[" + i + "]", state.get(i).length(), n);
        }
        if (computeCopy != null) {
            check("compute copy", computeCopy.length(), n);
        }
    }

    /** Buffers without a separate compute copy. */
    public static OptimizerBuffers of(VectorStorage gradients, Fp32Storage master, Fp32Storage... state) {
        return new OptimizerBuffers(gradients, master, List.of(state), null);
    }

    /** Number of elements. */
    public long length() {
        return master.length();
    }

    private static void check(String what, long got, long expected) {
        if (got != expected) {
            throw new IllegalArgumentException(what + " has " + got + " elements but the master has " + expected
                    + "; all optimizer buffers must cover the same range");
        }
    }
}
