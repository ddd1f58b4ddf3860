package io.ds4j.config;

import io.ds4j.zero.config.ZeroConfig;
import java.util.Map;

/** The rules DeepSpeed checks across sections ({@code _do_error_check}, the engine's optimizer sanity check). */
final class CrossRules {
    private CrossRules() {
    }

    static void check(DeepSpeedConfig.DocumentReader r, Map<String, Object> root) {
        String bf16Key = PrecisionReader.bf16Key(root);
        int stage = r.zero.stage();
        if (r.fp16.enabled() && r.bf16.enabled()) {
            throw new DeepSpeedConfigException(bf16Key + ".enabled", "fp16 and bf16 cannot both be enabled; "
                    + "keep one of fp16.enabled and " + bf16Key + ".enabled true");
        }
        if (r.fp16.fp16MasterWeightsAndGrads() && stage == 0) {
            throw needsZero("fp16.fp16_master_weights_and_grads");
        }
        if (r.bf16.bf16MasterWeightsAndGrads() && stage == 0) {
            throw needsZero(bf16Key + ".bf16_master_weights_and_grads");
        }
        if (r.bf16.bf16OptimizerStates() && stage == 0) {
            throw needsZero(bf16Key + ".bf16_optimizer_states");
        }
        if ("sum".equals(r.options.gradientAllreduceOp())) {
            if (stage == ZeroConfig.MAX_STAGE) {
                throw new DeepSpeedConfigException("gradient_allreduce_op", "\"sum\" is not supported with ZeRO "
                        + "stage 3; use \"mean\" or a lower stage");
            }
            if (root.get("compile") instanceof Map<?, ?> c && Boolean.TRUE.equals(c.get("deepcompile"))) {
                throw new DeepSpeedConfigException("gradient_allreduce_op", "\"sum\" is not supported with "
                        + "compile.deepcompile; use \"mean\"");
            }
        }
        r.optimizer.ifPresent(o -> OptimizerReader.checkZeroSupport(o, stage,
                r.options.zeroAllowUntestedOptimizer()));
    }

    private static DeepSpeedConfigException needsZero(String path) {
        return new DeepSpeedConfigException(path, Paths.leaf(path) + " is only supported with ZeRO stage 1, 2 or "
                + "3, but zero_optimization.stage is 0; set the stage to 1 or higher, or set " + Paths.leaf(path)
                + " to false");
    }
}
