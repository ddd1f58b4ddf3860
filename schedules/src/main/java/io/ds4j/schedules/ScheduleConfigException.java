package io.ds4j.schedules;

/**
 * An invalid learning-rate schedule configuration: a parameter with the wrong JSON type, out of range, unknown to
 * the schedule, missing while required, or an unknown schedule {@code type}.
 *
 * <p>{@link #key()} is the DeepSpeed parameter name (e.g. {@code warmup_num_steps}) or {@code "type"}, so that the
 * caller can prefix its own JSON path ({@code scheduler.params.warmup_num_steps}). {@link #detail()} says what is
 * wrong and what to do, without the key; {@link #getMessage()} is {@code key + ": " + detail}.
 */
public class ScheduleConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The parameter name, or {@code "type"}. */
    private final String key;
    /** What is wrong and how to fix it, without the key. */
    private final String detail;

    /**
     * @param key    the DeepSpeed parameter name, or {@code "type"}
     * @param detail what is wrong (naming the value) and what to do instead
     */
    public ScheduleConfigException(String key, String detail) {
        super(key + ": " + detail);
        this.key = key;
        this.detail = detail;
    }

    /** The DeepSpeed parameter name the problem is about, or {@code "type"} for the schedule type itself. */
    public String key() {
        return key;
    }

    /** What is wrong and what to do, without the key. */
    public String detail() {
        return detail;
    }
}
