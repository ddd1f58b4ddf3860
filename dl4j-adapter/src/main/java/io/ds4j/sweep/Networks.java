package io.ds4j.sweep;

import org.deeplearning4j.arbiter.DL4JConfiguration;
import org.deeplearning4j.arbiter.GraphConfiguration;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/** Turns the network part of a {@link SweepCandidate} into an initialised DL4J network. */
public final class Networks {
    private Networks() {
    }

    /**
     * @param network an Arbiter {@link DL4JConfiguration} or {@link GraphConfiguration}, a
     *                {@link MultiLayerConfiguration}, a {@link ComputationGraphConfiguration} or a
     *                {@link NetworkFactory}
     * @return a new initialised network
     * @throws IllegalArgumentException for anything else
     */
    public static Model create(Object network) {
        if (network instanceof DL4JConfiguration c) {
            return init(c.getMultiLayerConfiguration());
        } else if (network instanceof GraphConfiguration g) {
            return init(g.getConfiguration());
        } else if (network instanceof MultiLayerConfiguration c) {
            return init(c);
        } else if (network instanceof ComputationGraphConfiguration c) {
            return init(c);
        } else if (network instanceof NetworkFactory f) {
            return f.create();
        }
        throw new IllegalArgumentException("a sweep's network is " + (network == null ? "null"
                : network.getClass().getName()) + "; use a MultiLayerSpace, a ComputationGraphSpace, a DL4J"
                + " configuration or a NetworkFactory");
    }

    /**
     * @param network as for {@link #create}
     * @return the epochs an Arbiter network space asks for, or 0 when it says nothing
     */
    public static int epochs(Object network) {
        Integer n = network instanceof DL4JConfiguration c ? c.getNumEpochs()
                : network instanceof GraphConfiguration g ? g.getNumEpochs() : null;
        return n == null ? 0 : n;
    }

    private static MultiLayerNetwork init(MultiLayerConfiguration conf) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf.clone());
        net.init();
        return net;
    }

    private static ComputationGraph init(ComputationGraphConfiguration conf) {
        ComputationGraph net = new ComputationGraph(conf.clone());
        net.init();
        return net;
    }
}
