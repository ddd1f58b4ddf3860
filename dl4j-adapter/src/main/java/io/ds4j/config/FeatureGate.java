package io.ds4j.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ds4j's deliberate differences from DeepSpeed at the top level. Features that change the training math and that
 * ds4j does not implement are refused when enabled, naming the key that enables them; sections that only observe
 * or tune a PyTorch runtime are accepted with one warning each. Either kind, when present but not enabled, is kept
 * unchanged in the printed configuration.
 */
final class FeatureGate {
    /** Sections refused when their {@code enabled} flag (default false) is true. */
    private static final List<String> ENABLED_FLAG = List.of("amp", "quantize_training", "progressive_layer_drop",
            "data_efficiency", "curriculum_learning", "eigenvalue", "hybrid_engine", "elasticity");
    /** Sections refused whenever present (DeepSpeed turns them on by their presence). */
    private static final List<String> BY_PRESENCE = List.of("sparse_attention", "pipeline");
    /** Accepted with one warning each. */
    static final List<String> WARN_ONLY = List.of("activation_checkpointing", "flops_profiler", "comms_logger",
            "autotuning", "compile", "torch_autocast", "wandb", "comet");
    /** Top-level sections DeepSpeed knows that only concern its PyTorch runtime; accepted with one warning each. */
    static final List<String> RUNTIME_ONLY = List.of("nebula", "datastates", "timers", "weight_quantization",
            "expert_parallel");
    private static final Map<String, String> WHY = Map.ofEntries(
            Map.entry("amp", "NVIDIA Apex AMP (use \"fp16\" or \"bf16\")"),
            Map.entry("quantize_training", "MoQ quantization-aware training"),
            Map.entry("compression_training", "compression training (quantization, pruning, layer reduction)"),
            Map.entry("progressive_layer_drop", "progressive layer drop (skipping layers during training)"),
            Map.entry("data_efficiency", "data efficiency (curriculum learning, random-LTD)"),
            Map.entry("curriculum_learning", "curriculum learning"),
            Map.entry("eigenvalue", "eigenvalue-based MoQ"),
            Map.entry("hybrid_engine", "the RLHF hybrid inference engine"),
            Map.entry("elasticity", "elastic training"),
            Map.entry("sparse_attention", "sparse attention"),
            Map.entry("pipeline", "pipeline parallelism"),
            Map.entry("sequence_parallel_size", "sequence (Ulysses) parallelism"),
            Map.entry("tensor_parallel", "automatic tensor parallelism"));

    private FeatureGate() {
    }

    /** Keys this gate knows about (for the top level's unknown-key check). */
    static Set<String> keys() {
        java.util.Set<String> s = new java.util.LinkedHashSet<>(ENABLED_FLAG);
        s.addAll(BY_PRESENCE);
        s.addAll(WARN_ONLY);
        s.addAll(RUNTIME_ONLY);
        s.addAll(List.of("compression_training", "sequence_parallel_size", "tensor_parallel"));
        return s;
    }

    /** Checks every gated key in document order; copies accepted ones into {@code printed}. */
    static void apply(Section top, Map<String, Object> printed) {
        for (Map.Entry<String, Object> e : top.raw().entrySet()) {
            String key = e.getKey();
            Object v = e.getValue();
            String enabledAt = enabledPath(top, key, v);
            if (enabledAt != null) {
                throw new DeepSpeedConfigException(enabledAt, "ds4j does not implement " + WHY.get(key)
                        + ", which changes the training math; remove \"" + key + "\" or disable it");
            }
            if (WARN_ONLY.contains(key) || RUNTIME_ONLY.contains(key)) {
                top.context().warn(key, "accepted but ignored: it observes or tunes a PyTorch runtime and has no "
                        + "effect in ds4j");
            }
            if (keys().contains(key)) {
                printed.put(key, v);
            }
        }
    }

    /** The path of the setting that enables a refused feature, or null when it is not enabled. */
    private static String enabledPath(Section top, String key, Object v) {
        if (v == null) {
            return null;
        }
        if (ENABLED_FLAG.contains(key)) {
            return v instanceof Map<?, ?> m && Boolean.TRUE.equals(m.get("enabled")) ? key + ".enabled" : null;
        }
        if (BY_PRESENCE.contains(key)) {
            return key;
        }
        switch (key) {
            case "compression_training":
                return firstEnabled(key, v);
            case "sequence_parallel_size": {
                long n = top.toLong(key, v, 1, Integer.MAX_VALUE);
                return n > 1 ? key : null;
            }
            case "tensor_parallel":
                return tensorParallel(v);
            default:
                return null;
        }
    }

    private static String tensorParallel(Object v) {
        if (v instanceof Map<?, ?> m) {
            Object size = m.get("autotp_size");
            if (size instanceof Number n && n.doubleValue() > 1) {
                return "tensor_parallel.autotp_size";
            }
            Object tp = m.containsKey("tp") ? m.get("tp") : m.get("tensor_parallel");
            if (tp instanceof Map<?, ?> t && t.get("tp_size") instanceof Number n && n.doubleValue() > 1) {
                return "tensor_parallel." + (m.containsKey("tp") ? "tp" : "tensor_parallel") + ".tp_size";
            }
        }
        return null;
    }

    /** Depth-first search for an {@code "enabled": true} below {@code path}. */
    private static String firstEnabled(String path, Object v) {
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String p = path + "." + e.getKey();
                if ("enabled".equals(e.getKey()) && Boolean.TRUE.equals(e.getValue())) {
                    return p;
                }
                String inner = firstEnabled(p, e.getValue());
                if (inner != null) {
                    return inner;
                }
            }
        }
        return null;
    }
}
