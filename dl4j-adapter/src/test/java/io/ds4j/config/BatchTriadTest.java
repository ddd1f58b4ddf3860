package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The batch triad for every combination of absent / "auto" / value for the three keys and world sizes 1 to 4,
 * against a reference written here straight from DeepSpeed 0.19.6's {@code _set_batch_related_parameters} and
 * {@code _batch_assertion} (Python floor division, asserts in the order train, micro, gas, product). ds4j's policy
 * for what DeepSpeed leaves undefined: a value derived from "auto" stays "auto" and checks needing it are skipped;
 * a division by a zero value leaves the quotient unknown (the zero value itself is then the error).
 */
class BatchTriadTest {
    private static final Object ABSENT = new Object();
    private static final Object AUTO = "auto";
    private static final List<Object> VALUES = List.of(ABSENT, AUTO, 0L, 1L, 2L, 3L, 4L, 8L, 12L, 16L, 32L);

    /** Reference outcome: either an error path, or the triad (null = auto). */
    private record Outcome(String errorPath, Long train, Long micro, Long gas) {
    }

    private static Outcome reference(Object t0, Object m0, Object g0, long w) {
        boolean ta = t0 == AUTO;
        boolean ma = m0 == AUTO;
        boolean ga = g0 == AUTO;
        Long t = t0 instanceof Long l ? l : null;
        Long m = m0 instanceof Long l ? l : null;
        Long g = g0 instanceof Long l ? l : null;
        boolean tp = t0 != ABSENT;
        boolean mp = m0 != ABSENT;
        boolean gp = g0 != ABSENT;
        if (!tp && !mp) {
            return new Outcome("train_batch_size", null, null, null);
        }
        if (tp && mp && gp) {
            // all given: nothing derived
        } else if (tp && mp) {
            g = (t == null || m == null || m == 0) ? null : Math.floorDiv(Math.floorDiv(t, m), w);
        } else if (tp && gp) {
            m = (t == null || g == null || g == 0) ? null : Math.floorDiv(Math.floorDiv(t, w), g);
        } else if (mp && gp) {
            t = (m == null || g == null) ? null : m * g * w;
        } else if (tp) {
            g = 1L;
            m = t == null ? null : Math.floorDiv(t, w);
        } else {
            t = m == null ? null : m * w;
            g = 1L;
        }
        if (t != null && t <= 0) {
            return new Outcome("train_batch_size", null, null, null);
        }
        if (m != null && m <= 0) {
            return new Outcome("train_micro_batch_size_per_gpu", null, null, null);
        }
        if (g != null && g <= 0) {
            return new Outcome("gradient_accumulation_steps", null, null, null);
        }
        if (t != null && m != null && g != null && t != m * g * w) {
            return new Outcome("train_batch_size", null, null, null);
        }
        return new Outcome(null, t, m, g);
    }

    private static String json(Object t, Object m, Object g) {
        List<String> parts = new ArrayList<>();
        add(parts, "train_batch_size", t);
        add(parts, "train_micro_batch_size_per_gpu", m);
        add(parts, "gradient_accumulation_steps", g);
        return "{" + String.join(", ", parts) + "}";
    }

    private static void add(List<String> parts, String key, Object v) {
        if (v != ABSENT) {
            parts.add("\"" + key + "\": " + (v == AUTO ? "\"auto\"" : v));
        }
    }

    private static Long value(OptionalLong v) {
        return v.isPresent() ? v.getAsLong() : null;
    }

    @Test
    void everyCombinationOfPresentAbsentAutoAndWorldSizeMatchesDeepSpeed() {
        int checked = 0;
        for (Object t : VALUES) {
            for (Object m : VALUES) {
                for (Object g : VALUES) {
                    for (int w = 1; w <= 4; w++) {
                        check(t, m, g, w);
                        checked++;
                    }
                }
            }
        }
        assertEquals(VALUES.size() * VALUES.size() * VALUES.size() * 4, checked);
    }

    private static void check(Object t, Object m, Object g, int w) {
        String json = json(t, m, g);
        Outcome want = reference(t, m, g, w);
        String label = json + " at world size " + w;
        try {
            ResolvedBatch b = DeepSpeedConfig.parse(json).resolve(w);
            if (want.errorPath() != null) {
                fail(label + ": expected an error at " + want.errorPath() + ", got " + b);
            }
            assertEquals(want.train(), value(b.trainBatchSize()), label);
            assertEquals(want.micro(), value(b.trainMicroBatchSizePerGpu()), label);
            assertEquals(want.gas(), value(b.gradientAccumulationSteps()), label);
        } catch (DeepSpeedConfigException e) {
            if (want.errorPath() == null) {
                fail(label + ": expected a valid triad, got " + e.getMessage());
            }
            assertEquals(want.errorPath(), e.path(), label + ": " + e.getMessage());
        }
    }

    @Test
    void autoMicroBatchTakesTheIteratorsBatchSize() {
        // HF style: everything auto; micro = iterator batch 16, gas = 1, train = 16 * 1 * 4 = 64.
        DeepSpeedConfig c = DeepSpeedConfig.parse("{\"train_batch_size\": \"auto\", "
                + "\"train_micro_batch_size_per_gpu\": \"auto\", \"gradient_accumulation_steps\": \"auto\"}");
        assertEquals(ResolvedBatch.of(64, 16, 1, 4), c.resolve(4, 16));
        // train 64 fixed, micro auto = 8 from the iterator, gas auto derived: 64 // 8 // 2 = 4.
        DeepSpeedConfig d = DeepSpeedConfig.parse("{\"train_batch_size\": 64, "
                + "\"train_micro_batch_size_per_gpu\": \"auto\", \"gradient_accumulation_steps\": \"auto\"}");
        assertEquals(ResolvedBatch.of(64, 8, 4, 2), d.resolve(2, 8));
        // gas 2 fixed, micro auto = 4: train = 4 * 2 * 3 = 24.
        DeepSpeedConfig e = DeepSpeedConfig.parse("{\"train_batch_size\": \"auto\", "
                + "\"train_micro_batch_size_per_gpu\": \"auto\", \"gradient_accumulation_steps\": 2}");
        assertEquals(ResolvedBatch.of(24, 4, 2, 3), e.resolve(3, 4));
    }

    @Test
    void microBatchThatFloorsToZeroShowsTheArithmetic() {
        // train 1 only, 2 ranks: micro = 1 // 2 = 0.
        DeepSpeedConfigException e = assertThrows(DeepSpeedConfigException.class,
                () -> DeepSpeedConfig.parse("{\"train_batch_size\": 1}").resolve(2));
        assertEquals("train_micro_batch_size_per_gpu", e.path());
        assertTrue(e.detail().contains("= 1 // 2 = 0"), e.detail());
        assertTrue(e.detail().contains("at least gradient_accumulation_steps * world_size = 1 * 2 = 2"), e.detail());
    }

    @Test
    void accumulationThatFloorsToZeroSuggestsValues() {
        // train 32, micro 32, 2 ranks: gas = 32 // 32 // 2 = 0; 64 = 32 * 2 would do, or micro 16.
        DeepSpeedConfigException e = assertThrows(DeepSpeedConfigException.class, () -> DeepSpeedConfig
                .parse("{\"train_batch_size\": 32, \"train_micro_batch_size_per_gpu\": 32}").resolve(2));
        assertEquals("gradient_accumulation_steps", e.path());
        assertTrue(e.detail().contains("32 // 32 // 2 = 0"), e.detail());
        assertTrue(e.detail().contains("= 32 * 2 = 64"), e.detail());
        assertTrue(e.detail().contains("at most train_batch_size // world_size = 16"), e.detail());
    }

    /**
     * A batch below one multiple (train 32, micro 32, gas 1, world 2: the smallest valid size is 64) names two
     * different valid sizes, 64 and 128, not the same one twice.
     */
    @Test
    void batchBelowTheFirstMultipleSuggestsTwoDifferentSizes() {
        DeepSpeedConfigException e = assertThrows(DeepSpeedConfigException.class, () -> DeepSpeedConfig
                .parse("{\"train_batch_size\": 32, \"train_micro_batch_size_per_gpu\": 32, "
                        + "\"gradient_accumulation_steps\": 1}").resolve(2));
        assertEquals("train_batch_size", e.path());
        assertTrue(e.detail().contains("32 != 32 * 1 * 2 = 64"), e.detail());
        assertTrue(e.detail().contains("such as 64 or 128"), e.detail());
    }

    @Test
    void productMismatchShowsTheProductAndNearbyValidSizes() {
        // train 24, micro 5: gas = 24 // 5 // 1 = 4, but 5 * 4 * 1 = 20 != 24; multiples of 5: 20, 25.
        DeepSpeedConfigException e = assertThrows(DeepSpeedConfigException.class, () -> DeepSpeedConfig
                .parse("{\"train_batch_size\": 24, \"train_micro_batch_size_per_gpu\": 5}").resolve(1));
        assertEquals("train_batch_size", e.path());
        assertTrue(e.detail().contains("24 != 5 * 4 * 1 = 20"), e.detail());
        assertTrue(e.detail().contains("such as 20 or 25"), e.detail());
        // all three given: 32 != 4 * 2 * 2 = 16.
        DeepSpeedConfigException f = assertThrows(DeepSpeedConfigException.class, () -> DeepSpeedConfig.parse(
                "{\"train_batch_size\": 32, \"train_micro_batch_size_per_gpu\": 4, \"gradient_accumulation_steps\": 2}")
                .resolve(2));
        assertTrue(f.detail().contains("32 != 4 * 2 * 2 = 16"), f.detail());
        assertTrue(f.detail().contains("set train_batch_size to 16"), f.detail());
    }

    @Test
    void integralFloatsAreIntegersAndFractionsAreNot() {
        // pydantic/DeepSpeed arithmetic: 8.0 behaves as 8; 2.5 is not a batch size.
        assertEquals(ResolvedBatch.of(8, 4, 2, 1),
                DeepSpeedConfig.parse("{\"train_batch_size\": 8.0, \"train_micro_batch_size_per_gpu\": 4}")
                        .resolve(1));
        DeepSpeedConfigException e = assertThrows(DeepSpeedConfigException.class,
                () -> DeepSpeedConfig.parse("{\"train_micro_batch_size_per_gpu\": 2.5}"));
        assertEquals("train_micro_batch_size_per_gpu", e.path());
        assertThrows(DeepSpeedConfigException.class, () -> DeepSpeedConfig.parse("{\"train_batch_size\": 8}")
                .resolve(0));
    }
}
