package io.ds4j.dl4j.stage3;

import io.ds4j.dl4j.FlatLayout;
import io.ds4j.dl4j.PartitionedConstruction;
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
 * trace the coordinator follows). Its shards come from the user's initialised network, or, for a network not yet
 * initialised, from DL4J's initialisers layer by layer ({@link PartitionedConstruction}).
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
            modules.add(partition(i, name(i), user, mine, layout));
        }
        finish(trace(modules), layout, knobs);
        this.pass = new MlnPass(conf, numLayers);
    }

    /**
     * Partitioned construction ({@link PartitionedConstruction}): the rank's layers are instantiated on the scratch,
     * described by a layout of their own, and each layer's initial values are drawn (as {@code init()} draws them) and
     * partitioned before the next layer's are drawn; no flat vector of the whole model exists.
     *
     * @param prepared the configuration, {@link PartitionedConstruction#prepared}
     */
    Stage3Rank(MultiLayerConfiguration prepared, ZeroStage3Config knobs, RankEnv env) {
        super(env, PartitionedConstruction.largestLayer(prepared));
        this.conf = prepared.clone();
        this.numLayers = conf.getConfs().size();
        List<Layer> mine = new ArrayList<>();
        for (int i = 0; i < numLayers; i++) {
            NeuralNetConfiguration c = conf.getConf(i);
            mine.add(c.getLayer().instantiate(c, List.of(), i, scratchView(PartitionedConstruction.numParams(conf, i)),
                    false, computeType()));
        }
        FlatLayout layout = FlatLayout.ofLayers(mine);
        ModuleParams[] modules = new ModuleParams[numLayers];
        PartitionedConstruction.initialise(prepared.clone(), (values, i) -> modules[i] = partition(i, name(i),
                mine.get(i), values, mine.get(i), layout));
        finish(trace(List.of(modules)), layout, knobs);
        this.pass = new MlnPass(conf, numLayers);
    }

    private String name(int i) {
        return "layer " + i + " (" + conf.getConf(i).getLayer().getLayerName() + ")";
    }

    /** Forward through every layer, then backward from the second-to-last (the output layer runs once). */
    private static List<ModuleParams> trace(List<ModuleParams> modules) {
        List<ModuleParams> trace = new ArrayList<>(modules);
        for (int i = modules.size() - 2; i >= 0; i--) {
            trace.add(modules.get(i));
        }
        return trace;
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

    @Override
    void closePass() {
        pass.close();
    }
}
