package io.ds4j.dl4j.checkpoint;

import io.ds4j.precision.DynamicLossScale;
import io.ds4j.precision.LossScale;
import io.ds4j.precision.NoLossScale;
import io.ds4j.precision.StaticLossScale;
import java.util.Map;

/**
 * The loss-scale state in a checkpoint header: its kind, value, hysteresis left, good-step counter and whether the
 * last step was skipped. The dynamic scale's rules (window, hysteresis, minimum) come from the configuration of the
 * run that loads it, as DeepSpeed's do.
 */
final class LossScaleCodec {

    private LossScaleCodec() {
    }

    static void put(LossScale s, Map<String, String> meta) {
        String kind = s instanceof DynamicLossScale ? "dynamic" : s instanceof StaticLossScale ? "static" : "none";
        meta.put("loss_scale.kind", kind);
        meta.put("loss_scale.value", Double.toString(s.value()));
        meta.put("loss_scale.hysteresis_left", Integer.toString(s.hysteresisLeft()));
        meta.put("loss_scale.good_steps", Long.toString(s.stableSteps()));
        meta.put("loss_scale.skipped", Boolean.toString(s.skipped()));
    }

    /**
     * @param meta    a model-states header
     * @param current the loading engine's scale (its kind and rules)
     * @return the saved state under the current rules, or null when the kinds differ (fp16 saved, bf16 loaded)
     */
    static LossScale get(Map<String, String> meta, LossScale current) {
        String kind = meta.get("loss_scale.kind");
        double value = Double.parseDouble(meta.get("loss_scale.value"));
        long good = Long.parseLong(meta.get("loss_scale.good_steps"));
        boolean skipped = Boolean.parseBoolean(meta.get("loss_scale.skipped"));
        if (current instanceof DynamicLossScale d && kind.equals("dynamic")) {
            int hysteresis = Math.min(Integer.parseInt(meta.get("loss_scale.hysteresis_left")),
                    d.rules().hysteresis());
            return new DynamicLossScale(d.rules(), value, Math.max(1, hysteresis), good, skipped);
        }
        if (current instanceof StaticLossScale && kind.equals("static")) {
            return new StaticLossScale(value, skipped, good);
        }
        if (current instanceof NoLossScale && kind.equals("none")) {
            return new NoLossScale(skipped, good);
        }
        return null;
    }
}
