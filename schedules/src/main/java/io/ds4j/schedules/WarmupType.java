package io.ds4j.schedules;

import java.util.Arrays;
import java.util.stream.Collectors;

/** DeepSpeed's {@code warmup_type}: how the warmup fraction grows from 0 to 1 over the warmup iterations. */
public enum WarmupType {
    /** {@code "log"} (DeepSpeed's default): fraction = ln(iteration + 1) / ln(warmup steps). */
    LOG("log"),
    /** {@code "linear"}: fraction = iteration / warmup steps. */
    LINEAR("linear");

    private final String jsonName;

    WarmupType(String jsonName) {
        this.jsonName = jsonName;
    }

    /** The spelling in a DeepSpeed config ({@code "log"} or {@code "linear"}). */
    public String jsonName() {
        return jsonName;
    }

    /**
     * Parses a config value. DeepSpeed logs a warning and falls back to {@code log} for an unknown value; ds4j
     * rejects it instead, because a typo (say {@code "Linear"}) would otherwise silently change the schedule.
     *
     * @throws ScheduleConfigException naming {@code warmup_type} for anything but {@code "log"} or {@code "linear"}
     */
    public static WarmupType fromJson(String value) {
        for (WarmupType t : values()) {
            if (t.jsonName.equals(value)) {
                return t;
            }
        }
        String allowed = Arrays.stream(values()).map(t -> '"' + t.jsonName + '"').collect(Collectors.joining(" or "));
        throw new ScheduleConfigException("warmup_type", "unknown warmup type \"" + value + "\"; use " + allowed
                + " (DeepSpeed would silently fall back to \"log\")");
    }
}
