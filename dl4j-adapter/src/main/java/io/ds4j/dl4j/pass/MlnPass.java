package io.ds4j.dl4j.pass;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The forward-backward pass of a {@link org.deeplearning4j.nn.multilayer.MultiLayerNetwork}, layer by layer, as
 * {@code MultiLayerNetwork.computeGradientAndScore()} drives it (without workspaces: the arrays the layers make are
 * freed when the pass ends, {@link PassArrays}; ND4J's own temporaries inside the layer calls go to the pass's
 * workspace, {@link PassWorkspace}, reset after each layer, reused from pass to pass and freed by {@link #close}),
 * with {@link LayerHooks}
 * around every layer, run outside the workspace, so that a rank can gather parameters or take each layer's gradient
 * as soon as it is final.
 *
 * <p>Trace: layers 0..L-1 forward (the output layer's forward, score and backward are one step, as in DL4J), then
 * layers L-2..0 backward. Layer {@code i} is module {@code i}.
 */
public final class MlnPass implements AutoCloseable {
    private final MultiLayerConfiguration conf;
    private final int numLayers;
    private final PassArrays mgr = new PassArrays();
    private final PassWorkspace workspace = new PassWorkspace();

    /**
     * @param conf the network's configuration (its input preprocessors are applied)
     * @param numLayers the number of layers
     */
    public MlnPass(MultiLayerConfiguration conf, int numLayers) {
        this.conf = conf;
        this.numLayers = numLayers;
    }

    /**
     * Runs forward and backward on one micro-batch.
     *
     * @return DL4J's score of it (the output layer's loss plus every layer's regularization)
     */
    public double forwardBackward(INDArray features, INDArray labels, LayerHooks hooks) {
        try (MemoryWorkspace ws = workspace.open()) {
            return run(features, labels, hooks);
        } finally {
            mgr.release(); // the layers' activations, epsilons and working arrays: no layer reads them after the pass
        }
    }

    private double run(INDArray features, INDArray labels, LayerHooks hooks) {
        int mb = (int) features.size(0);
        int last = numLayers - 1;
        INDArray a = features;
        double reg = 0;
        for (int i = 0; i < last; i++) {
            Layer l = PassWorkspace.enter(hooks, i);
            l.setInputMiniBatchSize(mb);
            a = l.activate(preProcess(i, a, mb), true, mgr);
            reg += l.calcRegularizationScore(true);
            PassWorkspace.leave(hooks, i);
            workspace.nextModule();
        }
        Layer out = PassWorkspace.enter(hooks, last);
        out.setInputMiniBatchSize(mb);
        out.setInput(preProcess(last, a, mb), mgr);
        ((IOutputLayer) out).setLabels(labels);
        INDArray eps = backward(last, out, null, mb, hooks);
        reg += out.calcRegularizationScore(true);
        double score = ((IOutputLayer) out).computeScore(reg, true, mgr);
        PassWorkspace.leave(hooks, last);
        workspace.nextModule();
        for (int i = last - 1; i >= 0; i--) {
            Layer l = PassWorkspace.enter(hooks, i);
            eps = backward(i, l, eps, mb, hooks);
            PassWorkspace.leave(hooks, i);
            workspace.nextModule();
        }
        PassWorkspace.endStep(hooks);
        return score;
    }

    private INDArray backward(int i, Layer l, INDArray eps, int mb, LayerHooks hooks) {
        Pair<Gradient, INDArray> p = workspace.backprop(hooks, i, () -> l.backpropGradient(eps, mgr));
        InputPreProcessor pre = conf.getInputPreProcess(i);
        return pre == null || p.getSecond() == null ? p.getSecond() : pre.backprop(p.getSecond(), mb, mgr);
    }

    private INDArray preProcess(int i, INDArray a, int mb) {
        InputPreProcessor pre = conf.getInputPreProcess(i);
        return pre == null ? a : pre.preProcess(a, mb, mgr);
    }

    /** @return the bytes of the pass's workspace (sized by the first pass; 0 before it) */
    public long workspaceBytes() {
        return workspace.bytes();
    }

    /** Frees the pass's workspace; call when no pass runs. */
    @Override
    public void close() {
        workspace.close();
    }
}
