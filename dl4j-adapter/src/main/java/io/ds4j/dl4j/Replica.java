package io.ds4j.dl4j;

import java.util.Collection;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * One rank's copy of the network, seen through the few operations the engine needs: compute the summed gradient of a
 * micro-batch into the flat gradient view, and read or write DL4J's iteration bookkeeping. Hides the differences
 * between {@link MultiLayerNetwork} and {@link ComputationGraph}.
 */
final class Replica {

    private final Model net;
    private final INDArray origin; // the user's fp32 flat parameters a HALF replica was made from; null otherwise

    Replica(Model net) {
        this(net, null);
    }

    private Replica(Model net, INDArray origin) {
        if (!(net instanceof MultiLayerNetwork) && !(net instanceof ComputationGraph)) {
            throw FlatLayout.unsupported(net);
        }
        this.net = net;
        this.origin = origin;
    }

    /**
     * A replica that computes in HALF: a fresh network from a clone of the configuration with its data type set to
     * {@code HALF}, on {@code net}'s parameters rounded to fp16 (ND4J's FLOAT-to-HALF cast rounds to nearest, ties
     * to even: checked by {@code NdHalfCastTest}). {@link #fp32Params()} keeps answering {@code net}'s own FLOAT
     * parameters, from which the engine takes its fp32 master.
     *
     * @param net the user's network (FLOAT)
     * @return the HALF replica, without listeners
     */
    static Replica halfOf(Model net) {
        if (net instanceof MultiLayerNetwork m) {
            var conf = m.getLayerWiseConfigurations().clone();
            conf.setDataType(DataType.HALF);
            MultiLayerNetwork copy = new MultiLayerNetwork(conf);
            copy.init(m.params().castTo(DataType.HALF), false);
            return new Replica(copy, m.params());
        }
        if (!(net instanceof ComputationGraph g)) {
            throw FlatLayout.unsupported(net);
        }
        var conf = g.getConfiguration().clone();
        conf.setDataType(DataType.HALF);
        ComputationGraph copy = new ComputationGraph(conf);
        copy.init(g.params().castTo(DataType.HALF), false);
        return new Replica(copy, g.params());
    }

    /**
     * The first part of {@code net} that cannot compute in HALF, described for a message, or null when every part
     * can. SameDiff-based layers and vertices (DL4J's {@code SelfAttentionLayer}, {@code LearnedSelfAttentionLayer},
     * {@code RecurrentAttentionLayer}, user SameDiff layers) give NaN outputs as HALF networks on ND4J 1.0.0-M2.1's
     * CPU backend (measured: {@code HalfComputeTest}); not checked on CUDA, so ds4j does not risk them there either.
     */
    static String halfBlocker(Model net) {
        if (net instanceof MultiLayerNetwork m) {
            List<org.deeplearning4j.nn.conf.NeuralNetConfiguration> confs = m.getLayerWiseConfigurations().getConfs();
            for (int i = 0; i < confs.size(); i++) {
                if (confs.get(i).getLayer() instanceof AbstractSameDiffLayer l) {
                    return "layer " + i + " (" + l.getClass().getSimpleName() + ", a SameDiff layer)";
                }
            }
            return null;
        }
        if (!(net instanceof ComputationGraph g)) {
            throw FlatLayout.unsupported(net);
        }
        for (var e : g.getConfiguration().getVertices().entrySet()) {
            if (e.getValue() instanceof SameDiffVertex) {
                return "vertex " + e.getKey() + " (" + e.getValue().getClass().getSimpleName() + ", a SameDiff vertex)";
            }
            if (e.getValue() instanceof LayerVertex v
                    && v.getLayerConf().getLayer() instanceof AbstractSameDiffLayer l) {
                return "layer " + e.getKey() + " (" + l.getClass().getSimpleName() + ", a SameDiff layer)";
            }
        }
        return null;
    }

    /** @return whether this replica's network computes in HALF */
    boolean half() {
        return origin != null;
    }

    /**
     * @return the fp32 flat parameters this replica stands for: its own for a FLOAT replica, the user's network's
     *         for a HALF one (read when the engine builds its master, not kept in step afterwards)
     */
    INDArray fp32Params() {
        return origin != null ? ShardUpdater.flat(origin) : params();
    }

    /**
     * A replica on an independent copy of {@code net}: a fresh network from a clone of the configuration, computing
     * on a copy of the parameters. Not {@code net.clone()}: DL4J's clone of a ComputationGraph shares the listener
     * list with the original, so the copy could neither drop the user's listeners nor be kept away from them.
     *
     * @param net the user's network
     * @return the replica, without listeners
     */
    static Replica cloneOf(Model net) {
        if (net instanceof MultiLayerNetwork m) {
            MultiLayerNetwork copy = new MultiLayerNetwork(m.getLayerWiseConfigurations().clone());
            copy.init(m.params().dup(), false);
            return new Replica(copy);
        }
        ComputationGraph g = (ComputationGraph) net;
        ComputationGraph copy = new ComputationGraph(g.getConfiguration().clone());
        copy.init(g.params().dup(), false);
        return new Replica(copy);
    }

    Model net() {
        return net;
    }

    /** @return the flat parameter vector, 1-D view */
    INDArray params() {
        return ShardUpdater.flat(net.params());
    }

    /** @return the flat gradient view, 1-D, created if DL4J has not yet */
    INDArray gradients() {
        if (net instanceof MultiLayerNetwork m) {
            if (m.getFlattenedGradients() == null) {
                m.initGradientsView();
            }
            return ShardUpdater.flat(m.getFlattenedGradients());
        }
        ComputationGraph g = (ComputationGraph) net;
        if (g.getFlattenedGradients() == null) {
            g.initGradientsView();
        }
        return ShardUpdater.flat(g.getFlattenedGradients());
    }

    /**
     * Points every layer's gradient view back at the network's own flat gradient view, if it has one (stage 2 binds
     * the views to a scratch during its backward pass; a user's network that DL4J trained before must train with
     * {@code fit()} again afterwards). A network without a flat gradient view keeps the scratch's views until DL4J
     * creates its view, which rebinds every layer.
     */
    void restoreGradientViews() {
        INDArray flat = net instanceof MultiLayerNetwork m ? m.getFlattenedGradients()
                : ((ComputationGraph) net).getFlattenedGradients();
        if (flat == null) {
            return;
        }
        long at = 0;
        for (org.deeplearning4j.nn.api.Trainable t : FlatLayout.orderedLayers(net)) {
            long n = t.numParams();
            if (n == 0) {
                continue;
            }
            INDArray view = flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 0, true),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(at, at + n));
            if (t instanceof org.deeplearning4j.nn.api.Layer l) {
                l.setBackpropGradientsViewArray(view);
            } else {
                ((org.deeplearning4j.nn.graph.vertex.GraphVertex) t).setBackpropGradientsViewArray(view);
            }
            at += n;
        }
    }

    /**
     * Runs forward and backward on one micro-batch: afterwards {@link #gradients()} holds DL4J's gradient, the SUM over
     * the micro-batch's examples.
     *
     * @param batch the micro-batch (single input and output for a MultiLayerNetwork)
     * @return DL4J's score of the micro-batch (mean loss plus regularization)
     */
    double computeGradient(MultiDataSet batch) {
        if (net instanceof MultiLayerNetwork m) {
            if (batch.numFeatureArrays() != 1 || batch.numLabelsArrays() != 1) {
                throw new IllegalArgumentException("a MultiLayerNetwork takes one features and one labels array, got "
                        + batch.numFeatureArrays() + " and " + batch.numLabelsArrays());
            }
            m.setInput(batch.getFeatures(0));
            m.setLabels(batch.getLabels(0));
            m.setLayerMaskArrays(mask(batch.getFeaturesMaskArrays()), mask(batch.getLabelsMaskArrays()));
            m.rnnClearPreviousState(); // as fit(): a truncated-BPTT pass starts from a cleared state, not rnnTimeStep's
            m.computeGradientAndScore();
            double s = m.score();
            m.clearLayerMaskArrays();
            return s;
        }
        ComputationGraph g = (ComputationGraph) net;
        g.setInputs(batch.getFeatures());
        g.setLabels(batch.getLabels());
        g.setLayerMaskArrays(batch.getFeaturesMaskArrays(), batch.getLabelsMaskArrays());
        g.rnnClearPreviousState();
        g.computeGradientAndScore();
        double s = g.score();
        g.clearLayerMaskArrays();
        return s;
    }

    private static INDArray mask(INDArray[] masks) {
        return masks == null ? null : masks[0];
    }

    int iterationCount() {
        return net instanceof MultiLayerNetwork m ? m.getIterationCount()
                : ((ComputationGraph) net).getIterationCount();
    }

    int epochCount() {
        return net instanceof MultiLayerNetwork m ? m.getEpochCount() : ((ComputationGraph) net).getEpochCount();
    }

    void setIterationCount(int it) {
        if (net instanceof MultiLayerNetwork m) {
            m.setIterationCount(it);
        } else {
            ((ComputationGraph) net).getConfiguration().setIterationCount(it);
        }
    }

    void setEpochCount(int epoch) {
        if (net instanceof MultiLayerNetwork m) {
            m.setEpochCount(epoch);
        } else {
            ((ComputationGraph) net).getConfiguration().setEpochCount(epoch);
        }
    }

    void incrementEpochCount() {
        if (net instanceof MultiLayerNetwork m && PartitionedConstruction.applies(m)) {
            var c = m.getLayerWiseConfigurations(); // no layers yet to synchronise: init() will
            c.setEpochCount(c.getEpochCount() + 1);
        } else if (net instanceof MultiLayerNetwork m) {
            m.incrementEpochCount();
        } else {
            ((ComputationGraph) net).incrementEpochCount();
        }
    }

    void setScore(double score) {
        if (net instanceof MultiLayerNetwork m) {
            m.setScore(score);
        } else {
            ((ComputationGraph) net).setScore(score);
        }
    }

    Collection<TrainingListener> listeners() {
        Collection<TrainingListener> l = net instanceof MultiLayerNetwork m ? m.getListeners()
                : ((ComputationGraph) net).getListeners();
        return l == null ? List.of() : l;
    }
}
