package io.ds4j.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * {@code zero_optimization.leaf_module} ({@code classes}, {@code names}, {@code name_suffixes}): PyTorch module
 * names that stage 3 treats as one unit. Validated (a string or a list of strings each, duplicates dropped as
 * DeepSpeed does) and kept for printing; it has no effect on a DL4J network.
 */
final class LeafModuleReader {
    private static final List<String> DEFAULT_CLASSES = List.of(
            "transformers.models.mixtral.modeling_mixtral.MixtralSparseMoeBlock",
            "transformers.models.qwen2_moe.modeling_qwen2_moe.Qwen2MoeSparseMoeBlock",
            "transformers.models.qwen3_moe.modeling_qwen3_moe.Qwen3MoeSparseMoeBlock");

    private LeafModuleReader() {
    }

    static Map<String, Object> read(Section zero) {
        Section s = zero.child("leaf_module", true);
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("classes", strings(s, "classes", DEFAULT_CLASSES));
        values.put("names", strings(s, "names", List.of()));
        values.put("name_suffixes", strings(s, "name_suffixes", List.of()));
        s.inert("it names PyTorch modules; a DL4J network's stage-3 unit is always one layer", "classes", "names",
                "name_suffixes");
        s.rejectUnknown();
        zero.put("leaf_module", s.out());
        return values;
    }

    private static List<Object> strings(Section s, String key, List<String> def) {
        List<Object> result;
        Object v = s.value(key);
        if (!s.given(key)) {
            if (s.isAuto(key)) {
                s.bool(key, false);
                return new ArrayList<>(def);
            }
            result = new ArrayList<>(def);
        } else if (v instanceof String str) {
            result = List.of(str);
        } else if (v instanceof List<?> list && list.stream().allMatch(e -> e instanceof String)) {
            result = new ArrayList<>(new LinkedHashSet<>(list));
        } else {
            throw s.error(key, "must be a string or a list of strings, got " + Repr.of(v)
                    + "; write e.g. [\"my.package.MyBlock\"]");
        }
        s.put(key, List.copyOf(result));
        return List.copyOf(result);
    }
}
