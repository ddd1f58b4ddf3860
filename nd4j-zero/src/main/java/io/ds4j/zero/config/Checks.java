package io.ds4j.zero.config;

/** Range checks shared by the records of this package; messages start with the DeepSpeed key. */
final class Checks {
    private Checks() {
    }

    static long nonNegative(String key, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(key + " must be >= 0, got " + value);
        }
        return value;
    }

    static double fraction(String key, double value) {
        if (!(value >= 0.0 && value <= 1.0)) {
            throw new IllegalArgumentException(key + " must be in [0, 1], got " + value);
        }
        return value;
    }
}
