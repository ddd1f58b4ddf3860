package io.ds4j.dl4j.checkpoint;

import io.ds4j.dl4j.FlatLayout;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * What a checkpoint records about the network it came from: a fingerprint of its flat parameter layout (layer and
 * parameter names with their lengths, in order), its parameter count, its kind, and its DL4J configuration as JSON
 * (from which {@code ds4j consolidate} rebuilds it without the user's code).
 */
final class ModelIdentity {

    static final String FINGERPRINT = "model_fingerprint";
    static final String PARAMS = "num_params";
    static final String TYPE = "network_type";
    static final String JSON = "network_json_base64";

    private ModelIdentity() {
    }

    static void put(Model net, Map<String, String> meta, boolean withJson) {
        FlatLayout layout = FlatLayout.of(net);
        meta.put(FINGERPRINT, fingerprint(layout));
        meta.put(PARAMS, Long.toString(layout.length()));
        meta.put(TYPE, net instanceof MultiLayerNetwork ? "MultiLayerNetwork" : "ComputationGraph");
        if (withJson) {
            String json = net instanceof MultiLayerNetwork m ? m.getLayerWiseConfigurations().toJson()
                    : ((ComputationGraph) net).getConfiguration().toJson();
            meta.put(JSON, Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** @return a short description of the layout, for errors */
    static String describe(Model net) {
        FlatLayout layout = FlatLayout.of(net);
        return layout.length() + " parameters in " + layout.slots().size() + " tensors";
    }

    static String fingerprint(FlatLayout layout) {
        StringBuilder b = new StringBuilder();
        for (FlatLayout.Slot s : layout.slots()) {
            b.append(s.layer().getConfig().getLayerName()).append('/').append(s.name()).append(':')
                    .append(s.end() - s.start()).append(';');
        }
        return ConfigHash.sha256Hex(b.toString()).substring(0, 16);
    }

    static String json(Map<String, String> meta) {
        return new String(Base64.getDecoder().decode(meta.get(JSON)), StandardCharsets.UTF_8);
    }
}
