package io.ds4j.dl4j;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.config.OptimizerSection;
import io.ds4j.config.SchedulerSection;
import io.ds4j.config.ResolvedBatch;
import io.ds4j.zero.config.ZeroConfig;
import io.ds4j.zero.step.GradientClipping;
import io.ds4j.zero.step.ReductionScaling;
import java.util.Optional;

/**
 * The part of a DeepSpeed configuration the ZeRO engine reads, with concrete values. A stand-in for the whole
 * {@code DeepSpeedConfig} until the adapter resolves that file; every field carries DeepSpeed's key name.
 *
 * @param zero {@code zero_optimization}
 * @param clipping {@code gradient_clipping}
 * @param gradientAccumulationSteps {@code gradient_accumulation_steps}, at least 1
 * @param scaling {@code prescale_gradients} and {@code gradient_predivide_factor}
 * @param sections the {@code optimizer} and {@code scheduler} sections (resolved against the network when
 *                 training starts); none trains with the network's own DL4J updaters and their learning rates
 */
public record EngineOptions(ZeroConfig zero, GradientClipping clipping, int gradientAccumulationSteps,
                            ReductionScaling scaling, DeepSpeedSections sections) {

    /** Validates every field. */
    public EngineOptions {
        if (zero == null || clipping == null || scaling == null || sections == null) {
            throw new IllegalArgumentException("zero_optimization, gradient_clipping and the reduction scaling must"
                    + " not be null; use EngineOptions.defaults() and the with... methods");
        }
        if (gradientAccumulationSteps < 1) {
            throw new IllegalArgumentException("gradient_accumulation_steps: " + gradientAccumulationSteps
                    + " is not allowed; use an integer >= 1");
        }
    }

    /**
     * The engine's part of a parsed DeepSpeed configuration for {@code worldSize} ranks. Sections the engine does not
     * implement yet are refused here rather than silently ignored. The {@code fp16}, {@code bf16} and
     * {@code csv_monitor} sections are read by {@link EnginePrecision#from} (the ZeRO trainer runs them).
     *
     * @param config the parsed configuration
     * @param worldSize the number of ranks
     * @return the options
     * @throws DeepSpeedConfigException naming the key the engine cannot honour and what to do instead
     */
    public static EngineOptions from(DeepSpeedConfig config, int worldSize) {
        if (!"mean".equalsIgnoreCase(config.options().gradientAllreduceOp())) {
            throw new DeepSpeedConfigException("gradient_allreduce_op", "\"" + config.options().gradientAllreduceOp()
                    + "\" is not supported; the engine averages gradients over ranks (use \"mean\")");
        }
        ResolvedBatch batch = config.resolve(worldSize);
        int gas = (int) batch.gradientAccumulationSteps().orElse(1);
        return new EngineOptions(config.zero(), new GradientClipping(config.gradientClipping()), gas,
                new ReductionScaling(config.options().prescaleGradients(),
                        config.options().gradientPredivideFactor()),
                new DeepSpeedSections(config.optimizer(), config.scheduler()));
    }

    /**
     * Stage 0, no clipping (DeepSpeed's file default is {@code gradient_clipping: 1.0}; {@link #from} applies it), no
     * accumulation, post-scaled averaging.
     *
     * @return the options
     */
    public static EngineOptions defaults() {
        return new EngineOptions(ZeroConfig.defaults(0), GradientClipping.NONE, 1, ReductionScaling.DEFAULT,
                DeepSpeedSections.NONE);
    }

    /** @param stage {@code zero_optimization.stage} @return a copy with that stage and its default buckets */
    public EngineOptions withStage(int stage) {
        return new EngineOptions(ZeroConfig.defaults(stage), clipping, gradientAccumulationSteps, scaling, sections);
    }

    /** @param zeroConfig {@code zero_optimization} @return a copy with it */
    public EngineOptions withZero(ZeroConfig zeroConfig) {
        return new EngineOptions(zeroConfig, clipping, gradientAccumulationSteps, scaling, sections);
    }

    /** @param maxNorm {@code gradient_clipping} @return a copy with it */
    public EngineOptions withClipping(double maxNorm) {
        return new EngineOptions(zero, new GradientClipping(maxNorm), gradientAccumulationSteps, scaling, sections);
    }

    /** @param steps {@code gradient_accumulation_steps} @return a copy with it */
    public EngineOptions withAccumulation(int steps) {
        return new EngineOptions(zero, clipping, steps, scaling, sections);
    }

    /** @param section the {@code optimizer} section, or null for none @return a copy with it */
    public EngineOptions withOptimizer(OptimizerSection section) {
        return new EngineOptions(zero, clipping, gradientAccumulationSteps, scaling,
                new DeepSpeedSections(Optional.ofNullable(section), sections.scheduler()));
    }

    /** @param section the {@code scheduler} section, or null for none @return a copy with it */
    public EngineOptions withScheduler(SchedulerSection section) {
        return new EngineOptions(zero, clipping, gradientAccumulationSteps, scaling,
                new DeepSpeedSections(sections.optimizer(), Optional.ofNullable(section)));
    }

    /** @return the {@code optimizer} section, if any */
    public Optional<OptimizerSection> optimizer() {
        return sections.optimizer();
    }

    /** @param reductionScaling prescale/predivide settings @return a copy with them */
    public EngineOptions withScaling(ReductionScaling reductionScaling) {
        return new EngineOptions(zero, clipping, gradientAccumulationSteps, reductionScaling, sections);
    }
}
