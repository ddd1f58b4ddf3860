package io.ds4j.config;

import java.util.OptionalLong;

/**
 * The batch triad after DeepSpeed's resolution for one world size. An empty value is still {@code "auto"}: it
 * depends on a value the DL4J side supplies (the iterator's batch size); {@link #complete()} says whether all three
 * are known. When complete, {@code trainBatchSize == trainMicroBatchSizePerGpu * gradientAccumulationSteps *
 * worldSize} holds.
 *
 * @param trainBatchSize            {@code train_batch_size}: samples per optimizer step over all ranks
 * @param trainMicroBatchSizePerGpu {@code train_micro_batch_size_per_gpu}: samples per rank per forward/backward
 * @param gradientAccumulationSteps {@code gradient_accumulation_steps}: micro batches per optimizer step
 * @param worldSize                 the number of data-parallel ranks it was resolved for
 */
public record ResolvedBatch(OptionalLong trainBatchSize, OptionalLong trainMicroBatchSizePerGpu,
                            OptionalLong gradientAccumulationSteps, int worldSize) {

    /** A fully known triad. */
    public static ResolvedBatch of(long train, long micro, long gas, int worldSize) {
        return new ResolvedBatch(OptionalLong.of(train), OptionalLong.of(micro), OptionalLong.of(gas), worldSize);
    }

    /** True when none of the three is still {@code "auto"}. */
    public boolean complete() {
        return trainBatchSize.isPresent() && trainMicroBatchSizePerGpu.isPresent()
                && gradientAccumulationSteps.isPresent();
    }

    /** The value as printed by {@code validate}: a {@code Long}, or {@code "auto"}. */
    static Object printed(OptionalLong v) {
        return v.isPresent() ? (Object) v.getAsLong() : "auto";
    }
}
