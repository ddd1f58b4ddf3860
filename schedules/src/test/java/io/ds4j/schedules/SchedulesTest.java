package io.ds4j.schedules;

import static io.ds4j.schedules.Golden.params;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The {@link Schedules} facade: names, strict keys, JSON types, "auto" handling and params round trips. */
class SchedulesTest {
    @Test
    void typesAndParamNamesAreDeepSpeeds() {
        assertEquals(List.of("WarmupLR", "WarmupDecayLR", "WarmupCosineLR", "OneCycle", "LRRangeTest"),
                List.copyOf(Schedules.types()));
        assertEquals(List.of("warmup_min_lr", "warmup_max_lr", "warmup_num_steps", "warmup_type",
                "last_batch_iteration"), List.copyOf(Schedules.paramNames("WarmupLR")));
        assertTrue(Schedules.paramNames("WarmupDecayLR").contains("total_num_steps"));
        assertEquals(Set.of("total_num_steps", "warmup_min_ratio", "warmup_num_steps", "cos_min_ratio",
                "warmup_type", "last_batch_iteration"), Schedules.paramNames("WarmupCosineLR"));
        assertEquals(13, Schedules.paramNames("OneCycle").size());
        assertEquals(5, Schedules.paramNames("LRRangeTest").size());
    }

    @Test
    void unknownTypeSuggestsTheNearestOne() {
        ScheduleConfigException e = assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("WarmupLr", params(), 0.1));
        assertEquals("type", e.key());
        assertTrue(e.getMessage().contains("did you mean \"WarmupLR\""), e.getMessage());
        assertEquals("type", assertThrows(ScheduleConfigException.class, () -> Schedules.paramNames("Cosine")).key());
    }

    @Test
    void unknownKeyIsRejectedWithASuggestion() {
        ScheduleConfigException e = assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("WarmupLR", params("warmup_max_Lr", 0.1), 0.1));
        assertEquals("warmup_max_Lr", e.key());
        assertTrue(e.detail().contains("did you mean \"warmup_max_lr\""), e.detail());
        assertEquals("warmup_max_Lr: " + e.detail(), e.getMessage());
        // a key of another schedule is unknown too
        assertEquals("total_num_steps", assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("WarmupLR", params("total_num_steps", 10L), 0.1)).key());
    }

    @Test
    void wrongJsonTypesNameTheKeyAndTheValue() {
        ScheduleConfigException e = assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("WarmupLR", params("warmup_min_lr", "0.1"), 0.1));
        assertEquals("warmup_min_lr", e.key());
        assertTrue(e.detail().contains("\"0.1\""), e.detail());
        assertEquals("warmup_type", assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("WarmupLR", params("warmup_type", "Linear"), 0.1)).key());
        assertEquals("cycle_momentum", assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("OneCycle", params("cycle_min_lr", 0.1, "cycle_max_lr", 1.0,
                        "cycle_momentum", "yes"), 0)).key());
        assertEquals("warmup_min_lr", assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("WarmupLR", params("warmup_min_lr", -0.1), 0.1)).key());
        assertEquals("warmup_min_lr", assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("WarmupLR", params("warmup_min_lr", null), 0.1)).key());
        assertEquals("last_batch_iteration", assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("WarmupLR", params("last_batch_iteration", 5L), 0.1)).key());
        assertDoesNotThrow(() -> Schedules.create("WarmupLR", params("last_batch_iteration", -1L), 0.1));
    }

    @Test
    void perGroupListsMustHoldOneValue() {
        LrSchedule s = Schedules.create("WarmupLR", params("warmup_max_lr", List.of(0.3, 0.3),
                "warmup_num_steps", 1L), 0.1);
        assertEquals(0.3, s.lr(5));
        ScheduleConfigException e = assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("WarmupLR", params("warmup_max_lr", List.of(0.3, 0.2)), 0.1));
        assertEquals("warmup_max_lr", e.key());
        assertEquals("cycle_min_lr", assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("OneCycle", params("cycle_min_lr", List.of(), "cycle_max_lr", 1.0), 0)).key());
    }

    @Test
    void autoKeysCountAsPresentAndAreNotChecked() {
        Map<String, Object> p = params("total_num_steps", "auto", "warmup_max_lr", "auto", "warmup_num_steps", 10L);
        assertDoesNotThrow(() -> Schedules.validate("WarmupDecayLR", p,
                Set.of("total_num_steps", "warmup_max_lr")));
        // absent auto key: still counts as present
        assertDoesNotThrow(() -> Schedules.validate("WarmupCosineLR", params(), Set.of("total_num_steps")));
        // validate still checks the other keys
        assertEquals("warmup_num_steps", assertThrows(ScheduleConfigException.class,
                () -> Schedules.validate("WarmupDecayLR", params("warmup_num_steps", 2.5), Set.of("total_num_steps")))
                .key());
        assertEquals("total_num_steps", assertThrows(ScheduleConfigException.class,
                () -> Schedules.validate("WarmupDecayLR", params(), Set.of())).key());
        // create() refuses an unresolved "auto"
        ScheduleConfigException e = assertThrows(ScheduleConfigException.class,
                () -> Schedules.create("WarmupDecayLR", p, 0.1));
        assertEquals("total_num_steps", e.key());
        assertTrue(e.detail().contains("auto"), e.detail());
    }

    @Test
    void paramsRoundTripToAnEqualSchedule() {
        List<LrSchedule> all = List.of(
                Schedules.create("WarmupLR", params(), 0.01),
                Schedules.create("WarmupDecayLR", params("total_num_steps", 100L, "warmup_type", "linear"), 0.2),
                Schedules.create("WarmupCosineLR", params("total_num_steps", 1.5e4, "cos_min_ratio", 0.3), 0.2),
                Schedules.create("OneCycle", params("cycle_min_lr", 0.1, "cycle_max_lr", 1.0,
                        "cycle_first_step_size", 7.5, "cycle_second_stair_count", 3L, "decay_step_size", 9L), 0),
                Schedules.create("LRRangeTest", params("lr_range_test_staircase", true), 0));
        for (LrSchedule s : all) {
            double optimizerLr = s instanceof WarmupCosineLr c ? c.optimizerLr() : Double.NaN;
            assertEquals(s, Schedules.create(s.type(), s.params(), optimizerLr), s.type());
            assertEquals(List.copyOf(Schedules.paramNames(s.type())).subList(0, s.params().size()),
                    List.copyOf(s.params().keySet()), s.type());
        }
    }

    @Test
    void iterationsBelowMinusOneAreRejected() {
        LrSchedule s = Schedules.create("LRRangeTest", params(), 0);
        assertThrows(IllegalArgumentException.class, () -> s.lr(-2));
    }
}
