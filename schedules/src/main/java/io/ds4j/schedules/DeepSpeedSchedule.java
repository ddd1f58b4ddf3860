package io.ds4j.schedules;

import java.util.Map;
import java.util.Objects;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A DeepSpeed schedule as an ND4J {@link ISchedule}, for the learning rate or (OneCycle) the momentum of any DL4J
 * {@code IUpdater}: {@code valueAt(i, epoch) = lr(i - 1)} (or {@code momentum(i - 1)}), where {@code i} is DL4J's
 * iteration count, the number of updates applied so far. The epoch is ignored, as in DeepSpeed.
 *
 * <p>Why {@code i - 1}: DeepSpeed writes {@code lr(-1)} into the optimizer at construction and steps the scheduler
 * after each optimizer step, so its k-th update (k = 1, 2, ...) uses {@code lr(k - 2)}; DL4J's k-th update sees
 * {@code i = k - 1}.
 *
 * <p>It serializes with the network (DL4J's JSON uses ND4J's shaded Jackson) as the DeepSpeed {@code type}, its
 * fully resolved {@code params}, the optimizer lr it scales ({@code WarmupCosineLR}) and the quantity, and is
 * rebuilt through {@link Schedules#create} on load. Immutable, so {@link #clone()} returns {@code this}.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.NONE,
        getterVisibility = JsonAutoDetect.Visibility.NONE, isGetterVisibility = JsonAutoDetect.Visibility.NONE)
public final class DeepSpeedSchedule implements ISchedule {
    private static final long serialVersionUID = 1L;

    /** What the schedule's value is. */
    public enum Quantity {
        /** The learning rate. */
        LR,
        /** OneCycle's momentum (Adam's beta1, SGD's momentum). */
        MOMENTUM
    }

    @JsonIgnore
    private final LrSchedule schedule;
    @JsonIgnore
    private final Quantity quantity;

    private DeepSpeedSchedule(LrSchedule schedule, Quantity quantity) {
        this.schedule = Objects.requireNonNull(schedule, "schedule");
        this.quantity = Objects.requireNonNull(quantity, "quantity");
        if (quantity == Quantity.MOMENTUM && !schedule.hasMomentum()) {
            schedule.momentum(-1); // throws, saying why
        }
    }

    /**
     * Rebuilds a schedule from its serialized form (used by Jackson when a network is loaded).
     *
     * @param type        DeepSpeed's schedule type
     * @param params      fully resolved params ({@link LrSchedule#params()})
     * @param optimizerLr the optimizer lr the schedule scales
     * @param quantity    {@code LR} or {@code MOMENTUM}
     */
    @JsonCreator
    public DeepSpeedSchedule(@JsonProperty("type") String type, @JsonProperty("params") Map<String, Object> params,
                             @JsonProperty("optimizerLr") double optimizerLr,
                             @JsonProperty("quantity") Quantity quantity) {
        this(Schedules.create(type, params, optimizerLr), quantity);
    }

    /** The learning rate of {@code schedule} as an ND4J schedule. */
    public static DeepSpeedSchedule lr(LrSchedule schedule) {
        return new DeepSpeedSchedule(schedule, Quantity.LR);
    }

    /**
     * The momentum of {@code schedule} as an ND4J schedule (e.g. for {@code Nesterovs}' momentum schedule).
     *
     * @throws UnsupportedOperationException unless {@code schedule.hasMomentum()}
     */
    public static DeepSpeedSchedule momentum(LrSchedule schedule) {
        return new DeepSpeedSchedule(schedule, Quantity.MOMENTUM);
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        long deepSpeedIteration = iteration - 1L;
        return quantity == Quantity.LR ? schedule.lr(deepSpeedIteration) : schedule.momentum(deepSpeedIteration);
    }

    @Override
    public ISchedule clone() {
        return this;
    }

    /** The schedule this adapts. */
    public LrSchedule schedule() {
        return schedule;
    }

    /** DeepSpeed's type name (serialized). */
    @JsonProperty("type")
    public String getType() {
        return schedule.type();
    }

    /** The resolved params (serialized). */
    @JsonProperty("params")
    public Map<String, Object> getParams() {
        return schedule.params();
    }

    /** The optimizer lr the schedule scales; 0 for schedules that carry their own lr values (serialized). */
    @JsonProperty("optimizerLr")
    public double getOptimizerLr() {
        return schedule instanceof WarmupCosineLr c ? c.optimizerLr() : 0.0;
    }

    /** LR or MOMENTUM (serialized). */
    @JsonProperty("quantity")
    public Quantity getQuantity() {
        return quantity;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeepSpeedSchedule d && d.schedule.equals(schedule) && d.quantity == quantity;
    }

    @Override
    public int hashCode() {
        return Objects.hash(schedule, quantity);
    }

    @Override
    public String toString() {
        return "DeepSpeedSchedule(" + quantity + ", " + schedule + ")";
    }
}
