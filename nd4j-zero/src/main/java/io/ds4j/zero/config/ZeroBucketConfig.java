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

    /**
     * The smallest {@code reduce_bucket_size} and {@code allgather_bucket_size} the stage 0-2 steps run with: a bucket
     * holds at least one element. The reader applies the same bound at stages 0-2; stage 3 uses neither key (and
     * Hugging Face's legacy ZeRO-3 configs set {@code reduce_bucket_size: 0}), so this record itself only refuses
     * negative sizes.
     */
    public static final long MIN_BUCKET_SIZE = 1;

    /**
     * The one check of a stage 0-2 bucket size, shared by the config reader's bound and the steps.
     *
     * @param key   {@code reduce_bucket_size} or {@code allgather_bucket_size}
     * @param value the size in elements
     * @return {@code value}
     * @throws IllegalArgumentException naming the key and the fix when {@code value < MIN_BUCKET_SIZE}
     */
    public static long requireBucketSize(String key, long value) {
        if (value < MIN_BUCKET_SIZE) {
            throw new IllegalArgumentException(key + ": " + value + " is not allowed; use at least "
                    + MIN_BUCKET_SIZE + " element (DeepSpeed default 500000000)");
        }
        return value;
    }

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
