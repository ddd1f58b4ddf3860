package io.ds4j.cli.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;

/**
 * A DeepSpeed document split for {@code ds4j train}: the whole file (validated as DeepSpeed would) and the same file
 * without its {@code optimizer} and {@code scheduler} sections, which is what the ZeRO engine receives (those two
 * become the network's DL4J updater, see the package documentation).
 *
 * @param full the whole configuration
 * @param engine the configuration without {@code optimizer} and {@code scheduler}
 */
public record EngineSections(DeepSpeedConfig full, DeepSpeedConfig engine) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param json the file's text
     * @return both views
     * @throws DeepSpeedConfigException when the document is invalid
     */
    public static EngineSections parse(String json) {
        DeepSpeedConfig full = DeepSpeedConfig.parse(json);
        JsonNode tree;
        try {
            tree = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new DeepSpeedConfigException("", "malformed JSON: " + e.getOriginalMessage(), e);
        }
        ObjectNode engine = ((ObjectNode) tree).deepCopy();
        engine.remove("optimizer");
        engine.remove("scheduler");
        return new EngineSections(full, DeepSpeedConfig.parse(engine.toString()));
    }
}
