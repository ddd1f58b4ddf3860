package io.ds4j.cli.train;

import io.ds4j.data.OptDigits;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@code ds4j train --model wide}: the OptDigits task on a network large enough to show ZeRO stage 3's memory
 * behaviour, {@code 64 -> 9 x 800 (tanh) -> 10} (Ψ = 5,186,410 parameters in 10 layers).
 */
public final class WideDigitsModel {
    /** Hidden layers. */
    public static final int HIDDEN_LAYERS = 9;
    /** Width of every hidden layer. */
    public static final int WIDTH = 800;

    private WideDigitsModel() {
    }

    /**
     * @param updater the DL4J updater of every layer
     * @param seed the weight-initialisation seed
     * @return an initialised graph
     */
    public static ComputationGraph build(IUpdater updater, long seed) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .weightInit(WeightInit.XAVIER)
                .updater(updater)
                .graphBuilder()
                .addInputs("pixels")
                .setInputTypes(InputType.feedForward(OptDigits.FEATURES));
        String previous = "pixels";
        for (int i = 0; i < HIDDEN_LAYERS; i++) {
            String name = "hidden" + (i + 1);
            g.addLayer(name, new DenseLayer.Builder().nOut(WIDTH).activation(Activation.TANH).build(), previous);
            previous = name;
        }
        g.addLayer("digit", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(OptDigits.CLASSES)
                .activation(Activation.SOFTMAX).build(), previous).setOutputs("digit");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }
}
