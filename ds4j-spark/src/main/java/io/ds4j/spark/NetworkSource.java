package io.ds4j.spark;

import java.io.Serializable;
import java.util.Objects;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * How every rank of a {@link SparkZeroTrainer} job gets its network: shipped from the driver with the task, then
 * created in the executor. Whatever each rank creates, the ranks start from rank 0's parameters (the trainer broadcasts
 * them, as DeepSpeed does at initialization), so a factory need not be deterministic.
 */
@FunctionalInterface
public interface NetworkSource extends Serializable {
    /**
     * Creates this rank's network (called once per rank, in the executor).
     *
     * @return a MultiLayerNetwork or ComputationGraph; a MultiLayerNetwork may be left without {@code init()} (see
     *         {@link #of(MultiLayerConfiguration)})
     */
    Model create();

    /**
     * The driver's network, as it is now: its parameters and updater state travel as ModelSerializer bytes.
     *
     * @param net an initialised MultiLayerNetwork or ComputationGraph
     * @return the source
     */
    static NetworkSource of(Model net) {
        Objects.requireNonNull(net, "net");
        boolean graph = net instanceof ComputationGraph;
        if (!graph && !(net instanceof MultiLayerNetwork)) {
            throw new IllegalArgumentException("net: a " + net.getClass().getName() + " cannot be trained; use a"
                    + " MultiLayerNetwork or a ComputationGraph");
        }
        byte[] bytes = ModelBytes.write(net);
        return () -> ModelBytes.read(bytes, graph);
    }

    /**
     * A MultiLayerNetwork built from its configuration ({@code MultiLayerConfiguration.toJson()}) and left to the
     * trainer to initialise: below stage 3 as {@code init()} would, at stage 3 partitioned (no rank ever holds the full
     * vector); every rank starts from rank 0's values of the configuration's seed.
     *
     * @param conf the configuration
     * @return the source
     */
    static NetworkSource of(MultiLayerConfiguration conf) {
        String json = conf.toJson();
        return () -> new MultiLayerNetwork(MultiLayerConfiguration.fromJson(json));
    }

    /**
     * A ComputationGraph built from its configuration ({@code ComputationGraphConfiguration.toJson()}).
     *
     * @param conf the configuration
     * @return the source
     */
    static NetworkSource of(ComputationGraphConfiguration conf) {
        String json = conf.toJson();
        return () -> {
            ComputationGraph net = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
            net.init();
            return net;
        };
    }
}
