package io.ds4j.config;

import io.ds4j.precision.Bf16Config;
import io.ds4j.precision.Fp16Config;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Reads {@code fp16} and {@code bf16} (legacy name {@code bfloat16}, used only when {@code bf16} is absent, as in
 * DeepSpeed) into the records of {@code io.ds4j.precision}. Unknown keys are errors (DeepSpeed's pydantic models
 * forbid extras); {@code "auto"} takes DeepSpeed's default and is remembered in the auto paths.
 */
final class PrecisionReader {
    static final String FP16 = "fp16";
    static final String BF16 = "bf16";
    static final String BF16_LEGACY = "bfloat16";

    private PrecisionReader() {
    }

    static Fp16Config fp16(Map<String, Object> root, ReadContext ctx, Map<String, Object> printed) {
        Section s = Section.of(FP16, root.get(FP16), ctx, true);
        boolean enabled = s.bool("enabled", false);
        boolean autoCast = s.bool("auto_cast", false);
        if (s.value("loss_scale") instanceof Boolean) {
            throw s.error("loss_scale", "must be a number, got a boolean; write 0 for dynamic loss scaling or "
                    + "a positive scale such as 128");
        }
        double lossScale = s.number("loss_scale", 0, 0, Double.MAX_VALUE);
        int power = s.smallInt("initial_scale_power", 16, Integer.MIN_VALUE, Integer.MAX_VALUE);
        int window = s.smallInt("loss_scale_window", 1000, Integer.MIN_VALUE, Integer.MAX_VALUE);
        int hysteresis = s.smallInt("hysteresis", 2, Integer.MIN_VALUE, Integer.MAX_VALUE);
        boolean consecutive = s.bool("consecutive_hysteresis", false);
        int minScale = s.smallInt("min_loss_scale", 1, Integer.MIN_VALUE, Integer.MAX_VALUE);
        boolean master = s.bool("fp16_master_weights_and_grads", false);
        s.inert("ds4j casts the inputs to the compute type whatever its value", "auto_cast");
        s.rejectUnknown();
        printed.put(FP16, s.out());
        return build(FP16, () -> new Fp16Config(enabled, autoCast, lossScale, power, window, hysteresis,
                consecutive, minScale, master));
    }

    /** The key {@code bf16()} was read from: {@code bf16}, or {@code bfloat16} when only the legacy name is set. */
    static String bf16Key(Map<String, Object> root) {
        return root.get(BF16) == null && root.containsKey(BF16_LEGACY) ? BF16_LEGACY : BF16;
    }

    static Bf16Config bf16(Map<String, Object> root, ReadContext ctx, Map<String, Object> printed) {
        String key = bf16Key(root);
        if (key.equals(BF16_LEGACY)) {
            ctx.warn(BF16_LEGACY, "legacy name; write \"bf16\" instead");
        } else if (root.containsKey(BF16_LEGACY)) {
            ctx.warn(BF16_LEGACY, "ignored because \"bf16\" is also given (DeepSpeed reads only \"bf16\"); "
                    + "remove \"bfloat16\"");
        }
        Section s = Section.of(key, root.get(key), ctx, true);
        boolean enabled = s.bool("enabled", false);
        boolean immediate = s.bool("immediate_grad_update", false);
        boolean check = s.bool("check_grad_overflow", true);
        boolean master = s.bool("bf16_master_weights_and_grads", false);
        boolean states = s.bool("bf16_optimizer_states", false);
        s.inert("ds4j applies bf16 gradients in the optimizer step, after the reduction, either way",
                "immediate_grad_update");
        s.inert("ds4j keeps optimizer state in fp32 (and refuses bf16 master weights, which this key needs)",
                "bf16_optimizer_states");
        s.rejectUnknown();
        printed.put(BF16, s.out());
        if (states && !master) {
            throw s.error("bf16_optimizer_states", "bf16_optimizer_states=true needs bf16_master_weights_and_grads"
                    + "=true; set both, or drop bf16_optimizer_states");
        }
        return build(key, () -> new Bf16Config(enabled, immediate, check, master, states));
    }

    /** Runs a record constructor and turns its message ({@code "fp16.key must ..."}) into a path error. */
    private static <T> T build(String section, Supplier<T> ctor) {
        try {
            return ctor.get();
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage() == null ? "invalid value" : e.getMessage();
            String path = section;
            String prefix = msg.split(" ", 2)[0];
            if (prefix.contains(".")) {
                path = section + prefix.substring(prefix.indexOf('.'));
                msg = msg.substring(prefix.length()).trim();
            }
            if (!msg.contains(";")) {
                msg = msg + "; change " + Paths.leaf(path) + " to a value in that range";
            }
            throw new DeepSpeedConfigException(path, msg, e);
        }
    }
}
