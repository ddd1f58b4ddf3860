package io.ds4j.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The keyword arguments each implemented optimizer accepts (the union of DeepSpeed's fused/CPU kernels and
 * {@code torch.optim}'s for that algorithm) and their types. Unknown names are errors with a "did you mean";
 * {@code max_grad_norm} is refused as DeepSpeed refuses it (use {@code gradient_clipping}).
 */
final class OptimizerParams {
    private static final Set<String> NON_NEGATIVE = Set.of("lr", "eps", "weight_decay", "momentum", "dampening",
            "max_coeff", "min_coeff", "lr_decay", "initial_accumulator_value");
    private static final List<String> TORCH_FLAGS = List.of("maximize", "foreach", "differentiable", "fused");
    private static final Map<String, List<String>> ACCEPTED = Map.of(
            "adam", adamNames(), "adamw", adamNames(),
            "lamb", List.of("lr", "betas", "eps", "weight_decay", "bias_correction", "eps_inside_sqrt",
                    "max_coeff", "min_coeff", "amsgrad"),
            "adagrad", concat(List.of("lr", "eps", "weight_decay", "lr_decay", "initial_accumulator_value",
                    "amsgrad", "fp32_optimizer_states"), TORCH_FLAGS),
            "lion", List.of("lr", "betas", "weight_decay", "set_grad_none", "fp32_optimizer_states"),
            "sgd", concat(List.of("lr", "momentum", "dampening", "weight_decay", "nesterov"), TORCH_FLAGS));

    private OptimizerParams() {
    }

    private static List<String> adamNames() {
        return concat(List.of("lr", "betas", "eps", "weight_decay", "bias_correction", "amsgrad", "adam_w_mode",
                "torch_adam", "fp32_optimizer_states", "set_grad_none", "capturable"), TORCH_FLAGS);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        java.util.ArrayList<String> r = new java.util.ArrayList<>(a);
        r.addAll(b);
        return List.copyOf(r);
    }

    /** Validates the params of the optimizer {@code kind} and returns them as given (autos kept as "auto"). */
    static Map<String, Object> read(Section p, String kind) {
        if (p.present("max_grad_norm")) {
            throw p.error("max_grad_norm", "is not an optimizer parameter in DeepSpeed; remove it and set the "
                    + "top-level \"gradient_clipping\" instead");
        }
        List<String> accepted = ACCEPTED.get(kind);
        p.know(accepted.toArray(new String[0]));
        p.rejectUnknown();
        Map<String, Object> params = new LinkedHashMap<>();
        for (String key : p.raw().keySet()) {
            params.put(key, one(p, key));
        }
        if ("sgd".equals(kind) && Boolean.TRUE.equals(params.get("nesterov"))) {
            double momentum = num(params.get("momentum"));
            double dampening = num(params.get("dampening"));
            if (!(momentum > 0) || dampening != 0) {
                throw p.error("nesterov", "Nesterov momentum needs momentum > 0 and dampening = 0, got momentum "
                        + momentum + ", dampening " + dampening + "; set momentum (e.g. 0.9) and dampening 0, or "
                        + "nesterov false");
            }
        }
        if (Boolean.TRUE.equals(params.get("maximize"))) {
            throw p.error("maximize", "gradient ascent (maximize true) is not implemented by ds4j; negate the "
                    + "loss to maximize it and set maximize to false (or remove it)");
        }
        p.inert(Section.NO_EFFECT, "torch_adam", "fp32_optimizer_states", "set_grad_none", "capturable", "foreach",
                "fused", "differentiable");
        if (Boolean.TRUE.equals(params.get("amsgrad"))) {
            throw p.error("amsgrad", "AMSGrad is not implemented by ds4j (DeepSpeed's fused kernels refuse it "
                    + "too); set amsgrad to false");
        }
        return params;
    }

    private static double num(Object v) {
        return v instanceof Number n ? n.doubleValue() : 0.0;
    }

    private static Object one(Section p, String key) {
        Object v = p.value(key);
        if ("auto".equals(v)) {
            p.string(key, null);
            return v;
        }
        if (key.equals("betas")) {
            return betas(p, v);
        }
        if (NON_NEGATIVE.contains(key)) {
            p.number(key, 0, 0, Double.MAX_VALUE);
            return v;
        }
        p.bool(key, false);
        return v;
    }

    private static Object betas(Section p, Object v) {
        if (!(v instanceof List<?> list) || list.size() != 2) {
            throw p.error("betas", "must be a list of two numbers in [0, 1), got " + Repr.of(v)
                    + "; write e.g. [0.9, 0.999]");
        }
        for (int i = 0; i < 2; i++) {
            Object b = list.get(i);
            if (!(b instanceof Number n) || !(n.doubleValue() >= 0 && n.doubleValue() < 1)) {
                throw new DeepSpeedConfigException(p.pathOf("betas") + "[" + i + "]", "must be a number in [0, 1), "
                        + "got " + Repr.of(b) + "; write e.g. [0.9, 0.999]");
            }
        }
        p.put("betas", v);
        return v;
    }
}
