package io.ds4j.schedules;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

/** Test helpers: relative comparison at 1e-12 and a compact params map builder. */
final class Golden {
    /** The tolerance the issue asks for: 1e-12 relative. */
    static final double REL = 1e-12;

    private Golden() {
    }

    /** Asserts {@code actual} equals {@code expected} to 1e-12 relative (exactly, when expected is 0). */
    static void assertRel(double expected, double actual, String what) {
        double scale = Math.max(Math.abs(expected), Math.abs(actual));
        assertTrue(expected == actual || Math.abs(expected - actual) <= REL * scale,
                () -> what + ": expected " + expected + " but was " + actual);
    }

    /** Asserts {@code s.lr(step)} to 1e-12 relative. */
    static void lr(LrSchedule s, long step, double expected) {
        assertRel(expected, s.lr(step), s.type() + " lr(" + step + ")");
    }

    /** Asserts {@code s.momentum(step)} to 1e-12 relative. */
    static void mom(LrSchedule s, long step, double expected) {
        assertRel(expected, s.momentum(step), s.type() + " momentum(" + step + ")");
    }

    /** A mutable params map from alternating keys and values, as JSON would give them. */
    static Map<String, Object> params(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
