package io.ds4j.zero.config;

/**
 * The parameter-partitioning knobs of stage 3 (DeepSpeed also accepts each under its {@code stage3_*} alias), and
 * {@code sub_group_size}. Defaults are DeepSpeed 0.19.x's.
 *
 * @param prefetchBucketSize            {@code prefetch_bucket_size} (default 5e7)
 * @param paramPersistenceThreshold     {@code param_persistence_threshold} (default 1e5)
 * @param modelPersistenceThreshold     {@code model_persistence_threshold} (default Long.MAX_VALUE, Python's
 *                                      {@code sys.maxsize})
 * @param maxLiveParameters             {@code max_live_parameters} (default 1e9)
 * @param maxReuseDistance              {@code max_reuse_distance} (default 1e9)
 * @param gather16bitWeightsOnModelSave {@code gather_16bit_weights_on_model_save} (default false)
 * @param moduleGranularityThreshold    {@code module_granularity_threshold} (default 0)
 * @param useAllReduceForFetchParams    {@code use_all_reduce_for_fetch_params} (default false)
 * @param allgatherSequential           {@code allgather_sequential} (default false)
 * @param subGroupSize                  {@code sub_group_size} (default 1e9)
 */
public record ZeroStage3Config(long prefetchBucketSize, long paramPersistenceThreshold,
                               long modelPersistenceThreshold, long maxLiveParameters, long maxReuseDistance,
                               boolean gather16bitWeightsOnModelSave, long moduleGranularityThreshold,
                               boolean useAllReduceForFetchParams, boolean allgatherSequential,
                               long subGroupSize) {

    /** Validates DeepSpeed's ranges ({@code ge=0} on every size; the granularity threshold is unconstrained). */
    public ZeroStage3Config {
        Checks.nonNegative("prefetch_bucket_size", prefetchBucketSize);
        Checks.nonNegative("param_persistence_threshold", paramPersistenceThreshold);
        Checks.nonNegative("model_persistence_threshold", modelPersistenceThreshold);
        Checks.nonNegative("max_live_parameters", maxLiveParameters);
        Checks.nonNegative("max_reuse_distance", maxReuseDistance);
        Checks.nonNegative("sub_group_size", subGroupSize);
    }

    /** DeepSpeed's defaults. */
    public static ZeroStage3Config defaults() {
        return new ZeroStage3Config(50_000_000L, 100_000L, Long.MAX_VALUE, 1_000_000_000L, 1_000_000_000L,
                false, 0L, false, false, 1_000_000_000L);
    }
}
