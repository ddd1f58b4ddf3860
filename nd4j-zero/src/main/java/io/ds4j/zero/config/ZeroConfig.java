package io.ds4j.zero.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The whole {@code zero_optimization} section with concrete values.
 *
 * @param stage            {@code stage}, 0 to 3 (default 0)
 * @param buckets          reduction and gather settings
 * @param stage3           stage-3 partitioning settings and {@code sub_group_size}
 * @param offloadOptimizer {@code offload_optimizer} (device none when absent)
 * @param offloadParam     {@code offload_param} (device none when absent)
 * @param runtimeOptions   every other field DeepSpeed accepts (PyTorch-runtime knobs such as
 *                         {@code load_from_fp32_weights}, {@code round_robin_gradients}, {@code mics_shard_size}),
 *                         by DeepSpeed name with its validated value (Boolean, Long, List or Map), unmodifiable
 */
public record ZeroConfig(int stage, ZeroBucketConfig buckets, ZeroStage3Config stage3,
                         OffloadOptimizerConfig offloadOptimizer, OffloadParamConfig offloadParam,
                         Map<String, Object> runtimeOptions) {

    /** The highest stage DeepSpeed supports. */
    public static final int MAX_STAGE = 3;

    /** Validates the stage and copies the options map. */
    public ZeroConfig {
        if (stage < 0 || stage > MAX_STAGE) {
            throw new IllegalArgumentException("stage must be 0, 1, 2 or 3, got " + stage);
        }
        if (buckets == null || stage3 == null || offloadOptimizer == null || offloadParam == null) {
            throw new IllegalArgumentException("zero_optimization sub-sections must not be null");
        }
        runtimeOptions = Collections.unmodifiableMap(new LinkedHashMap<>(runtimeOptions));
    }

    /** DeepSpeed's defaults for the given stage. */
    public static ZeroConfig defaults(int stage) {
        return new ZeroConfig(stage, ZeroBucketConfig.defaults(stage), ZeroStage3Config.defaults(),
                OffloadOptimizerConfig.none(), OffloadParamConfig.none(), Map.of());
    }

    /** True at stage 1 or higher. */
    public boolean enabled() {
        return stage > 0;
    }

    /** True when optimizer state is offloaded ({@code offload_optimizer.device} is cpu or nvme). */
    public boolean offloadsOptimizer() {
        return offloadOptimizer.device().offloads();
    }

    /** True when parameters are offloaded; DeepSpeed uses {@code offload_param} at stage 3 only. */
    public boolean offloadsParams() {
        return stage == MAX_STAGE && offloadParam.device().offloads();
    }
}
