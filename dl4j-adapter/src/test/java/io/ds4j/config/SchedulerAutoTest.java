package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code "auto"} scheduler params resolved from the training side the way DeepSpeed's Hugging Face integration fills
 * them (warmup_min_lr 0, warmup_max_lr the learning rate, warmup_num_steps its default 0, total_num_steps the number
 * of training steps); ds4j writes the warmup as 1 because it refuses 0, and DeepSpeed's schedules warm up over
 * max(2, n) steps either way.
 */
class SchedulerAutoTest {

    private static SchedulerSection section(String type, Object... kv) {
        Map<String, Object> p = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            p.put((String) kv[i], kv[i + 1]);
        }
        return new SchedulerSection(type, p);
    }

    @Test
    void autoParamsTakeTheTrainingSidesValues() {
        SchedulerSection s = section("WarmupDecayLR", "warmup_min_lr", "auto", "warmup_max_lr", "auto",
                "warmup_num_steps", "auto", "total_num_steps", "auto", "warmup_type", "linear");
        SchedulerSection r = s.withAutoResolved(3e-4, 500);
        assertEquals(0.0, r.params().get("warmup_min_lr"));
        assertEquals(3e-4, r.params().get("warmup_max_lr"));
        assertEquals(1L, r.params().get("warmup_num_steps"));
        assertEquals(500L, r.params().get("total_num_steps"));
        assertEquals("linear", r.params().get("warmup_type"), "other params stay as written");
        assertEquals("WarmupDecayLR", r.type());
        SchedulerSection concrete = section("WarmupLR", "warmup_max_lr", 0.1);
        assertSame(concrete, concrete.withAutoResolved(Double.NaN, -1), "nothing auto: unchanged");
    }

    @Test
    void whatCannotBeKnownIsRefusedByKey() {
        DeepSpeedConfigException total = assertThrows(DeepSpeedConfigException.class,
                () -> section("WarmupDecayLR", "total_num_steps", "auto").withAutoResolved(1e-3, -1));
        assertEquals("scheduler.params.total_num_steps", total.path());
        assertTrue(total.detail().contains("number of steps"), total.detail());
        DeepSpeedConfigException lr = assertThrows(DeepSpeedConfigException.class,
                () -> section("WarmupLR", "warmup_max_lr", "auto").withAutoResolved(Double.NaN, 10));
        assertEquals("scheduler.params.warmup_max_lr", lr.path());
    }
}
