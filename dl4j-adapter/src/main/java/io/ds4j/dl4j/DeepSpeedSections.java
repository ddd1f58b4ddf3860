package io.ds4j.dl4j;

import io.ds4j.config.OptimizerSection;
import io.ds4j.config.SchedulerSection;
import java.util.Optional;

/**
 * The {@code optimizer} and {@code scheduler} sections of a DeepSpeed configuration as the engine receives them,
 * still unresolved: their {@code "auto"} values are read from the network when training starts.
 *
 * @param optimizer the optimizer section; empty trains with the network's own DL4J updaters
 * @param scheduler the scheduler section; empty keeps the learning rate of the optimizer or of the DL4J updaters
 */
public record DeepSpeedSections(Optional<OptimizerSection> optimizer, Optional<SchedulerSection> scheduler) {

    /** Neither section. */
    public static final DeepSpeedSections NONE = new DeepSpeedSections(Optional.empty(), Optional.empty());

    /** Rejects nulls (use {@link Optional#empty()}). */
    public DeepSpeedSections {
        if (optimizer == null || scheduler == null) {
            throw new IllegalArgumentException("optimizer and scheduler must not be null; use Optional.empty()");
        }
    }
}
