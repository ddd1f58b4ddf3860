package io.ds4j.dl4j;

import io.ds4j.zero.config.ZeroConfig;
import io.ds4j.zero.step.GradientClipping;
import io.ds4j.zero.step.ReductionScaling;

/**
 * The part of a DeepSpeed configuration the ZeRO engine reads, with concrete values. A stand-in for the whole
 * {@code DeepSpeedConfig} until the adapter resolves that file; every field carries DeepSpeed's key name.
 *
 * @param zero {@code zero_optimization}
 * @param clipping {@code gradient_clipping}
 * @param gradientAccumulationSteps {@code gradient_accumulation_steps}, at least 1
 * @param scaling {@code prescale_gradients} and {@code gradient_predivide_factor}
 */
public record EngineOptions(ZeroConfig zero, GradientClipping clipping, int gradientAccumulationSteps,
                            ReductionScaling scaling) {

    /** Validates every field. */
    public EngineOptions {
        if (zero == null || clipping == null || scaling == null) {
            throw new IllegalArgumentException("zero_optimization, gradient_clipping and the reduction scaling must"
                    + " not be null; use EngineOptions.defaults() and the with... methods");
        }
        if (zero.stage() > 2) {
            throw new IllegalArgumentException("zero_optimization.stage: " + zero.stage()
                    + " is not supported by this engine yet; use stage 0, 1 or 2");
        }
        if (gradientAccumulationSteps < 1) {
            throw new IllegalArgumentException("gradient_accumulation_steps: " + gradientAccumulationSteps
                    + " is not allowed; use an integer >= 1");
        }
    }

    /** @return DeepSpeed's defaults: stage 0, no clipping, no accumulation, post-scaled averaging */
    public static EngineOptions defaults() {
        return new EngineOptions(ZeroConfig.defaults(0), GradientClipping.NONE, 1, ReductionScaling.DEFAULT);
    }

    /** @param stage {@code zero_optimization.stage} @return a copy with that stage and its default buckets */
    public EngineOptions withStage(int stage) {
        return new EngineOptions(ZeroConfig.defaults(stage), clipping, gradientAccumulationSteps, scaling);
    }

    /** @param zeroConfig {@code zero_optimization} @return a copy with it */
    public EngineOptions withZero(ZeroConfig zeroConfig) {
        return new EngineOptions(zeroConfig, clipping, gradientAccumulationSteps, scaling);
    }

    /** @param maxNorm {@code gradient_clipping} @return a copy with it */
    public EngineOptions withClipping(double maxNorm) {
        return new EngineOptions(zero, new GradientClipping(maxNorm), gradientAccumulationSteps, scaling);
    }

    /** @param steps {@code gradient_accumulation_steps} @return a copy with it */
    public EngineOptions withAccumulation(int steps) {
        return new EngineOptions(zero, clipping, steps, scaling);
    }

    /** @param reductionScaling prescale/predivide settings @return a copy with them */
    public EngineOptions withScaling(ReductionScaling reductionScaling) {
        return new EngineOptions(zero, clipping, gradientAccumulationSteps, reductionScaling);
    }
}
