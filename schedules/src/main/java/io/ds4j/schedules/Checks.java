package io.ds4j.schedules;

/** Range checks shared by the schedule records; every failure names the DeepSpeed key and the value. */
final class Checks {
    private Checks() {
    }

    /** A finite number. */
    static double finite(String key, double v) {
        if (!Double.isFinite(v)) {
            throw new ScheduleConfigException(key, "must be a finite number, got " + v);
        }
        return v;
    }

    /** A finite number &ge; 0 (learning rates, step sizes, decay rates). */
    static double nonNegative(String key, double v) {
        if (!Double.isFinite(v) || v < 0) {
            throw new ScheduleConfigException(key, "must be a finite number >= 0, got " + v);
        }
        return v;
    }

    /** A finite number &gt; 0. */
    static double positive(String key, double v) {
        if (!Double.isFinite(v) || v <= 0) {
            throw new ScheduleConfigException(key, "must be a finite number > 0, got " + v);
        }
        return v;
    }

    /** Non-null. */
    static <T> T present(String key, T v) {
        if (v == null) {
            throw new ScheduleConfigException(key, "must not be null");
        }
        return v;
    }
}
