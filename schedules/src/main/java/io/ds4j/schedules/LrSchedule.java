package io.ds4j.schedules;

import java.io.Serializable;
import java.util.Map;

import org.nd4j.linalg.schedule.ISchedule;

/**
 * One of DeepSpeed's five learning-rate schedules as a pure function of DeepSpeed's <em>iteration</em> (see the
 * package documentation): {@link #lr(long)} is the learning rate DeepSpeed's scheduler writes into the optimizer when
 * its {@code last_batch_iteration} equals {@code iteration}; {@code iteration = -1} is the value written at
 * construction, which the first optimizer update uses.
 *
 * <p>Each implementation is also the validated, immutable config record of its schedule: its components carry
 * DeepSpeed's parameter names in their documentation and {@link #params()} gives them back as DeepSpeed JSON keys.
 * Build one from a DeepSpeed {@code scheduler} section with {@link Schedules#create}, or directly.
 *
 * <p>For DL4J, {@link #toLrSchedule()} adapts it to an ND4J {@link ISchedule} (for any {@code IUpdater}'s learning
 * rate schedule) and {@link #toMomentumSchedule()} adapts the momentum of {@code OneCycle} (e.g. for
 * {@code Nesterovs}' momentum schedule); both map DL4J's iteration count {@code i} (applied updates so far, from 0)
 * to DeepSpeed's iteration {@code i - 1}.
 */
public sealed interface LrSchedule extends Serializable
        permits WarmupLr, WarmupDecayLr, WarmupCosineLr, OneCycle, LrRangeTest {

    /** DeepSpeed's name of the schedule, the {@code scheduler.type} value (e.g. {@code "WarmupLR"}). */
    String type();

    /**
     * The learning rate at DeepSpeed iteration {@code iteration}.
     *
     * @param iteration DeepSpeed's {@code last_batch_iteration}, &ge; -1
     * @throws IllegalArgumentException if {@code iteration < -1}
     */
    double lr(long iteration);

    /** Whether this schedule also drives the momentum ({@code OneCycle} with {@code cycle_momentum}). */
    default boolean hasMomentum() {
        return false;
    }

    /**
     * The momentum (Adam's beta1, SGD's momentum) at DeepSpeed iteration {@code iteration}.
     *
     * @throws UnsupportedOperationException unless {@link #hasMomentum()}
     */
    default double momentum(long iteration) {
        throw new UnsupportedOperationException(type() + " does not schedule the momentum"
                + " (only OneCycle with cycle_momentum=true does); check hasMomentum() first");
    }

    /**
     * The schedule's parameters as DeepSpeed {@code scheduler.params}, every key present, defaults and the
     * optimizer's lr already resolved. {@code Schedules.create(type(), params(), lr)} rebuilds an equal schedule.
     */
    Map<String, Object> params();

    /** An ND4J learning-rate schedule: {@code valueAt(i, epoch) = lr(i - 1)}. Serializes with a DL4J network. */
    default ISchedule toLrSchedule() {
        return DeepSpeedSchedule.lr(this);
    }

    /**
     * An ND4J momentum schedule: {@code valueAt(i, epoch) = momentum(i - 1)}.
     *
     * @throws UnsupportedOperationException unless {@link #hasMomentum()}
     */
    default ISchedule toMomentumSchedule() {
        return DeepSpeedSchedule.momentum(this);
    }

    /** Rejects iterations below -1, DeepSpeed's starting {@code last_batch_iteration}. */
    static void checkIteration(long iteration) {
        if (iteration < -1) {
            throw new IllegalArgumentException("iteration must be >= -1 (DeepSpeed's last_batch_iteration starts at"
                    + " -1), got " + iteration);
        }
    }
}
