package io.ds4j.dl4j;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * DL4J's truncated backpropagation through time ({@code backpropType(BackpropType.TruncatedBPTT)}) as the engine
 * sees it.
 *
 * <p>DL4J's {@code fit()} cuts a batch whose sequences (dimension 2 of its rank-3 features and labels) are longer
 * than {@code tBPTTForwardLength} into {@code ceil(T / tBPTTForwardLength)} time segments and makes one parameter
 * update per segment, carrying each example's RNN state from one segment into the next. A batch of at most
 * {@code tBPTTForwardLength} steps is one segment that starts from a cleared state: the same single update as
 * standard backpropagation, which is what the engine's ranks compute. The engine makes one update per global batch,
 * so a batch that DL4J would cut is refused ({@link #requireOneSegment}) rather than trained differently.
 */
final class TruncatedBptt {

    private TruncatedBptt() {
    }

    /**
     * @param net the network
     * @return its {@code tBPTTForwardLength}, or 0 when it does not use truncated BPTT
     */
    static int forwardLength(Model net) {
        if (net instanceof MultiLayerNetwork m) {
            var c = m.getLayerWiseConfigurations();
            return c.getBackpropType() == BackpropType.TruncatedBPTT ? c.getTbpttFwdLength() : 0;
        }
        if (net instanceof ComputationGraph g) {
            var c = g.getConfiguration();
            return c.getBackpropType() == BackpropType.TruncatedBPTT ? c.getTbpttFwdLength() : 0;
        }
        throw FlatLayout.unsupported(net);
    }

    /**
     * Refuses a global batch that DL4J's {@code fit()} would train as several truncated-BPTT segments.
     *
     * @param net the network
     * @param batch the global batch
     * @throws IllegalArgumentException naming the setting, the network's first recurrent layer and the lengths
     */
    static void requireOneSegment(Model net, MultiDataSet batch) {
        int length = forwardLength(net);
        long steps = Math.max(timeSteps(batch.getFeatures()), timeSteps(batch.getLabels()));
        if (length <= 0 || steps <= length) {
            return;
        }
        long segments = (steps + length - 1) / length;
        throw new IllegalArgumentException("backpropType: TruncatedBPTT with tBPTTForwardLength " + length + " (layer "
                + firstRecurrentLayer(net) + "): DL4J's fit() trains this batch's " + steps
                + " time steps as " + segments + " segments, one update each with the RNN state carried between"
                + " them, while ZeRO makes one update per global batch; use sequences of at most " + length
                + " steps, set tBPTTForwardLength >= " + steps + ", or use BackpropType.Standard");
    }

    /** @return the name and class of the network's first recurrent layer, for the message */
    static String firstRecurrentLayer(Model net) {
        for (Trainable t : FlatLayout.orderedLayers(net)) {
            if (t instanceof RecurrentLayer) {
                return t.getConfig().getLayerName() + " (" + t.getClass().getSimpleName() + ")";
            }
        }
        return "none recurrent";
    }

    private static long timeSteps(INDArray[] arrays) {
        long t = 0;
        if (arrays != null) {
            for (INDArray a : arrays) {
                if (a != null && a.rank() == 3) {
                    t = Math.max(t, a.size(2));
                }
            }
        }
        return t;
    }
}
