package io.ds4j.config;

import io.ds4j.schedules.ScheduleConfigException;
import io.ds4j.schedules.Schedules;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads {@code scheduler}. The type is looked up as DeepSpeed does (case-sensitive: its {@code lr_schedules} names,
 * then {@code torch.optim.lr_scheduler}); ds4j implements DeepSpeed's five schedules and refuses the torch ones.
 * Params are validated by {@link Schedules#validate}; {@code "auto"} is accepted where the Hugging Face integration
 * fills it ({@code warmup_min_lr}, {@code warmup_max_lr}, {@code warmup_num_steps}, {@code total_num_steps}).
 */
final class SchedulerReader {
    static final String KEY = "scheduler";
    private static final List<String> HF_AUTO = List.of("warmup_min_lr", "warmup_max_lr", "warmup_num_steps",
            "total_num_steps");
    private static final Set<String> TORCH = Set.of("LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR",
            "ConstantLR", "LinearLR", "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler",
            "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR");

    private SchedulerReader() {
    }

    static Optional<SchedulerSection> read(Map<String, Object> root, ReadContext ctx, Map<String, Object> printed) {
        if (root.get(KEY) == null) {
            return Optional.empty();
        }
        Section s = Section.of(KEY, root.get(KEY), ctx, false);
        s.know("type", "params");
        s.rejectUnknown();
        if (!s.present("type") || s.value("type") == null) {
            // DeepSpeed's get_scheduler_name: no type means no schedule.
            ctx.warn(KEY, "no \"type\", so the section is ignored and the learning rate stays constant (DeepSpeed "
                    + "ignores it too); add e.g. \"type\": \"WarmupLR\" to use it");
            printed.put(KEY, root.get(KEY));
            return Optional.empty();
        }
        String type = s.string("type", null);
        checkType(s, type);
        Section p = s.child("params", false).allowAuto(HF_AUTO.toArray(new String[0]));
        Map<String, Object> params = new LinkedHashMap<>();
        Set<String> autoKeys = new LinkedHashSet<>();
        for (Map.Entry<String, Object> e : p.raw().entrySet()) {
            Object v = e.getValue();
            if ("auto".equals(v)) {
                p.string(e.getKey(), null);
                autoKeys.add(e.getKey());
            } else if (v instanceof Map<?, ?>) {
                throw p.error(e.getKey(), "must be a number, string, boolean or list, got an object; check the "
                        + "nesting of scheduler.params");
            } else {
                p.put(e.getKey(), v);
            }
            params.put(e.getKey(), v);
        }
        try {
            Schedules.validate(type, params, autoKeys);
        } catch (ScheduleConfigException e) {
            String path = "type".equals(e.key()) ? s.pathOf("type") : p.pathOf(e.key());
            throw new DeepSpeedConfigException(path, e.detail(), e);
        }
        s.put("params", p.out());
        s.rejectUnknown();
        printed.put(KEY, s.out());
        return Optional.of(new SchedulerSection(type, params));
    }

    private static void checkType(Section s, String type) {
        Set<String> known = Schedules.types();
        if (known.contains(type)) {
            return;
        }
        if (TORCH.contains(type)) {
            throw s.error("type", "torch schedule '" + type + "' is not implemented by ds4j; use one of " + known);
        }
        String hint = DidYouMean.hint(type, known);
        throw s.error("type", "unknown schedule '" + type + "';" + (hint.isEmpty() ? " use one of " + known : hint));
    }
}
