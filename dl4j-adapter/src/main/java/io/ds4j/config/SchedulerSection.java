package io.ds4j.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code scheduler} section: DeepSpeed's schedule {@code type} (e.g. {@code "WarmupDecayLR"}) and its
 * {@code params}, with the value types of {@link OptimizerSection}. {@code "auto"} values stay {@code "auto"}.
 *
 * @param type   the schedule name as written in the file
 * @param params the schedule's parameters
 */
public record SchedulerSection(String type, Map<String, Object> params) {

    /** Copies the params into an unmodifiable, insertion-ordered map. */
    public SchedulerSection {
        if (type == null) {
            throw new IllegalArgumentException("scheduler.type must not be null");
        }
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }

    /**
     * This section with its {@code "auto"} params resolved from the training side, as DeepSpeed's Hugging Face
     * integration fills them: {@code warmup_min_lr} 0; {@code warmup_max_lr} the optimizer's lr (the
     * {@code optimizer} section's, or the network's updater's); {@code warmup_num_steps} 1 (no warmup to speak of:
     * DL4J has no warmup setting to take it from; DeepSpeed warms up over at least 2 steps, so this is the schedule
     * Hugging Face's default of 0 gives); {@code total_num_steps}
     * {@code totalSteps} when the run's length is known.
     *
     * @param optimizerLr the optimizer's lr ({@code NaN} when unknown: an {@code "auto"} warmup_max_lr then stays)
     * @param totalSteps  the run's optimizer steps, or {@code -1} when unknown
     * @return the section, {@code this} when nothing was {@code "auto"}
     * @throws DeepSpeedConfigException for an {@code "auto"} {@code total_num_steps} when the length is unknown, or
     *                                  an {@code "auto"} {@code warmup_max_lr} when the lr is unknown
     */
    public SchedulerSection withAutoResolved(double optimizerLr, long totalSteps) {
        if (!params.containsValue("auto")) {
            return this;
        }
        Map<String, Object> out = new LinkedHashMap<>(params);
        for (Map.Entry<String, Object> e : params.entrySet()) {
            if (!"auto".equals(e.getValue())) {
                continue;
            }
            String key = "scheduler.params." + e.getKey();
            Object value = switch (e.getKey()) {
                case "warmup_min_lr" -> 0.0;
                case "warmup_num_steps" -> 1L; // DeepSpeed warms up over max(2, n) steps: as HF's default 0
                case "warmup_max_lr" -> {
                    if (Double.isNaN(optimizerLr) || optimizerLr < 0) {
                        throw new DeepSpeedConfigException(key, "is \"auto\" but the optimizer's learning rate is"
                                + " not known here; write a number, or give the optimizer section an lr");
                    }
                    yield optimizerLr;
                }
                case "total_num_steps" -> {
                    if (totalSteps < 0) {
                        throw new DeepSpeedConfigException(key, "is \"auto\", the run's length in optimizer steps,"
                                + " which a trainer fed by an iterator does not know in advance; write the number of"
                                + " steps (ds4j train fills it from --steps)");
                    }
                    yield totalSteps;
                }
                default -> e.getValue(); // left for the schedule reader, which names the key
            };
            out.put(e.getKey(), value);
        }
        return new SchedulerSection(type, out);
    }
}
