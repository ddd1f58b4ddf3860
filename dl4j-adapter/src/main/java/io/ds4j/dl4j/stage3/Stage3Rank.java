package io.ds4j.dl4j.stage3;

import io.ds4j.dl4j.FlatLayout;
import io.ds4j.zero.config.ZeroStage3Config;
import io.ds4j.zero.stage3.ModuleParams;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One rank of a stage-3 {@link MultiLayerNetwork}: DL4J layers instantiated from a clone of the configuration on the
 * shared compute scratch (never on a full flat parameter vector), driven layer by layer as
 * {@code MultiLayerNetwork.computeGradientAndScore()} drives them, without workspaces.
 *
 * <p>Trace: layers 0..L-1 forward (the output layer's forward, score and backward are one step, as in DL4J), then
 * layers L-2..0 backward.
 */
final class Stage3Rank extends RankBase {
    private final MultiLayerConfiguration conf;
    private final int numLayers;

    Stage3Rank(MultiLayerNetwork source, FlatLayout layout, ZeroStage3Config knobs, RankEnv env) {
        super(env, largest(source));
        this.conf = source.getLayerWiseConfigurations().clone();
        this.numLayers = source.getnLayers();
        List<ModuleParams> modules = new ArrayList<>();
        for (int i = 0; i < numLayers; i++) {
            Layer user = source.getLayer(i);
            NeuralNetConfiguration c = conf.getConf(i);
            Layer mine = c.getLayer().instantiate(c, List.of(), i, scratchView(user.numParams()), false,
                    computeType());
            modules.add(partition(i, "layer " + i + " (" + c.getLayer().getLayerName() + ")", user, mine, layout));
        }
        List<ModuleParams> trace = new ArrayList<>(modules);
        for (int i = modules.size() - 2; i >= 0; i--) {
            trace.add(modules.get(i));
        }
        finish(trace, layout, knobs);
    }

    private static long largest(MultiLayerNetwork net) {
        long m = 0;
        for (Layer l : net.getLayers()) {
            m = Math.max(m, l.numParams());
        }
        return m;
    }

    @Override
    double forwardBackward(INDArray[] features, INDArray[] labels) {
        if (features.length != 1 || labels.length != 1) {
            throw new IllegalArgumentException("a MultiLayerNetwork takes one features and one labels array, got "
                    + features.length + " and " + labels.length);
        }
        int mb = (int) features[0].size(0);
        int last = numLayers - 1;
        INDArray a = features[0];
        double reg = 0;
        for (int i = 0; i < last; i++) {
            Layer l = enter(i);
            l.setInputMiniBatchSize(mb);
            a = l.activate(preProcess(i, a, mb), true, mgr);
            reg += l.calcRegularizationScore(true);
            leave(i);
        }
        Layer out = enter(last);
        out.setInputMiniBatchSize(mb);
        out.setInput(preProcess(last, a, mb), mgr);
        ((IOutputLayer) out).setLabels(labels[0]);
        INDArray eps = backward(last, out, null, mb);
        reg += out.calcRegularizationScore(true);
        double score = ((IOutputLayer) out).computeScore(reg, true, mgr);
        leave(last);
        for (int i = last - 1; i >= 0; i--) {
            Layer l = enter(i);
            eps = backward(i, l, eps, mb);
            leave(i);
        }
        endStep();
        return score;
    }

    private INDArray backward(int i, Layer l, INDArray eps, int mb) {
        Pair<Gradient, INDArray> p = backprop(i, () -> l.backpropGradient(eps, mgr));
        InputPreProcessor pre = conf.getInputPreProcess(i);
        return pre == null || p.getSecond() == null ? p.getSecond() : pre.backprop(p.getSecond(), mb, mgr);
    }

    private INDArray preProcess(int i, INDArray a, int mb) {
        InputPreProcessor pre = conf.getInputPreProcess(i);
        return pre == null ? a : pre.preProcess(a, mb, mgr);
    }
}
