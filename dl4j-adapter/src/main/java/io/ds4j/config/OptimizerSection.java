package io.ds4j.config;

import io.ds4j.zero.config.OptimizerConfig;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code optimizer} section: DeepSpeed's optimizer {@code type} as written (e.g. {@code "AdamW"}) and its
 * {@code params} as validated. Param values are {@code Long} for integral JSON numbers, {@code Double} otherwise,
 * {@code Boolean}, {@code String} (including {@code "auto"}, resolved later from the network's updater) or
 * {@code List<Object>}; the map is unmodifiable and keeps the file's order.
 *
 * @param type   the optimizer name as written in the file
 * @param params the optimizer's keyword arguments
 */
public record OptimizerSection(String type, Map<String, Object> params) {

    /** Copies the params into an unmodifiable, insertion-ordered map. */
    public OptimizerSection {
        if (type == null) {
            throw new IllegalArgumentException("optimizer.type must not be null");
        }
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }

    /**
     * The concrete hyper-parameters: values as written, {@code "auto"} values taken from {@code autoValues} (by
     * param name: numbers, and {@code betas} as a two-element list or {@code double[]}), missing values from the
     * class DeepSpeed instantiates for this type ({@code FusedAdam}: note that {@code adam_w_mode} defaults to
     * true, so type "Adam" decays weights like AdamW unless {@code adam_w_mode: false}).
     *
     * @param autoValues values for the params that are "auto", typically read from the network's updater
     * @throws DeepSpeedConfigException naming {@code optimizer.params.<key>} when an "auto" has no value or a value
     *                                  is out of range
     */
    public OptimizerConfig toConfig(Map<String, Object> autoValues) {
        return OptimizerResolver.resolve(this, autoValues);
    }
}
