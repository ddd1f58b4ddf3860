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
 * The network {@code ds4j train} and {@code ds4j bench train} train: a ComputationGraph MLP for the 8x8 OptDigits
 * images, {@code 64 -> 256 -> 128 -> 10} with ReLU, softmax and cross-entropy (about 50 thousand parameters).
 */
public final class DigitsModel {
    /** Width of the first hidden layer. */
    public static final int HIDDEN1 = 256;
    /** Width of the second hidden layer. */
    public static final int HIDDEN2 = 128;

    private DigitsModel() {
    }

    /**
     * @param updater the DL4J updater of every layer (ds4j train: where the engine reads {@code "auto"} from)
     * @param seed the weight-initialisation seed
     * @return an initialised graph
     */
    public static ComputationGraph build(IUpdater updater, long seed) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .weightInit(WeightInit.XAVIER)
                .updater(updater)
                .graphBuilder()
                .addInputs("pixels")
                .setInputTypes(InputType.feedForward(OptDigits.FEATURES))
                .addLayer("hidden1", new DenseLayer.Builder().nOut(HIDDEN1).activation(Activation.RELU).build(),
                        "pixels")
                .addLayer("hidden2", new DenseLayer.Builder().nOut(HIDDEN2).activation(Activation.RELU).build(),
                        "hidden1")
                .addLayer("digit", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nOut(OptDigits.CLASSES).activation(Activation.SOFTMAX).build(), "hidden2")
                .setOutputs("digit")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }
}
