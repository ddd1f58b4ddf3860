package io.ds4j.zero.config;

/**
 * How gradients are reduced and updated parameters gathered (stages 1 to 3). Defaults are DeepSpeed 0.19.x's.
 *
 * @param contiguousGradients          {@code contiguous_gradients} (default true)
 * @param reduceScatter                {@code reduce_scatter} (default true)
 * @param reduceBucketSize             {@code reduce_bucket_size} in elements (default 5e8)
 * @param useMultiRankBucketAllreduce  {@code use_multi_rank_bucket_allreduce} (default true)
 * @param allgatherPartitions          {@code allgather_partitions} (default true)
 * @param allgatherBucketSize          {@code allgather_bucket_size} in elements (default 5e8)
 * @param overlapComm                  {@code overlap_comm}; DeepSpeed's default is {@code stage == 3}
 */
public record ZeroBucketConfig(boolean contiguousGradients, boolean reduceScatter, long reduceBucketSize,
                               boolean useMultiRankBucketAllreduce, boolean allgatherPartitions,
                               long allgatherBucketSize, boolean overlapComm) {

    /** Validates that bucket sizes are &ge; 0. */
    public ZeroBucketConfig {
        Checks.nonNegative("reduce_bucket_size", reduceBucketSize);
        Checks.nonNegative("allgather_bucket_size", allgatherBucketSize);
    }

    /** DeepSpeed's defaults for the given stage ({@code overlap_comm} defaults to true at stage 3 only). */
    public static ZeroBucketConfig defaults(int stage) {
        return new ZeroBucketConfig(true, true, 500_000_000L, true, true, 500_000_000L, stage == 3);
    }
}
