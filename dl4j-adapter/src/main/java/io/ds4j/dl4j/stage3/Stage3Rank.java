package io.ds4j.dl4j.stage3;

import io.ds4j.dl4j.FlatLayout;
import io.ds4j.zero.config.ZeroStage3Config;
import io.ds4j.zero.stage3.ModuleParams;
import java.util.ArrayList;
import java.util.List;
import io.ds4j.dl4j.pass.MlnPass;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One rank of a stage-3 {@link MultiLayerNetwork}: DL4J layers instantiated from a clone of the configuration on the
 * shared compute scratch (never on a full flat parameter vector), driven layer by layer by an {@link MlnPass} (whose
 * trace the coordinator follows).
 */
final class Stage3Rank extends RankBase {
    private final MultiLayerConfiguration conf;
    private final int numLayers;
    private final MlnPass pass;

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
        this.pass = new MlnPass(conf, numLayers);
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
        return pass.forwardBackward(features[0], labels[0], this);
    }
}
