package io.ds4j.dl4j.checkpoint;

import io.ds4j.config.DeepSpeedConfig;
import java.util.Map;

/**
 * The engine's part of DeepSpeed's {@code checkpoint} section: {@code tag_validation}, which decides what a load does
 * with a checkpoint saved under another configuration ({@link TagValidation}). The section's other keys are read and
 * warned about by the configuration reader: {@code load_universal} (ds4j's checkpoints reshard natively at load),
 * {@code use_node_local_storage} and {@code parallel_write.pipeline_stage} (one process writes every rank's file),
 * {@code checkpoint_serialization} and {@code writer} (ds4j's own format).
 *
 * @param tagValidation what a config-hash mismatch does at load
 */
public record CheckpointConfig(TagValidation tagValidation) {

    /** Validates the field. */
    public CheckpointConfig {
        if (tagValidation == null) {
            throw new IllegalArgumentException("checkpoint.tag_validation must not be null; use Ignore, Warn or Fail");
        }
    }

    /** @return DeepSpeed's defaults ({@code tag_validation: Warn}) */
    public static CheckpointConfig defaults() {
        return new CheckpointConfig(TagValidation.WARN);
    }

    /**
     * @param config    a parsed configuration
     * @param worldSize the ranks it is resolved for
     * @return its {@code checkpoint} section
     */
    public static CheckpointConfig from(DeepSpeedConfig config, int worldSize) {
        Object section = config.toMap(worldSize).get("checkpoint");
        Object v = section instanceof Map<?, ?> m ? m.get("tag_validation") : null;
        return v == null ? defaults() : new CheckpointConfig(TagValidation.parse(v.toString()));
    }
}
