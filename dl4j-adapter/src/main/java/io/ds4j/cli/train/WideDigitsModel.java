package io.ds4j.cli.train;

import io.ds4j.data.OptDigits;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
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
 * behaviour, {@code 64 -> 9 x 800 (tanh) -> 10} (Ψ = 5,186,410 parameters in 10 layers). The memory and capacity
 * benches use the same topology at other widths ({@link #widthFor}).
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
        return build(updater, seed, WIDTH);
    }

    /**
     * @param hiddenLayers hidden layers h
     * @param width        width w of every hidden layer
     * @return Ψ of {@code 64 -> h x w -> 10}: {@code (64 + 1)w + (h - 1)(w + 1)w + 10w + 10}
     */
    public static long params(int hiddenLayers, long width) {
        return (OptDigits.FEATURES + 1) * width + (hiddenLayers - 1) * (width + 1) * width
                + OptDigits.CLASSES * width + OptDigits.CLASSES;
    }

    /**
     * @param targetParams the wanted Ψ (at least {@code params(HIDDEN_LAYERS, 1)})
     * @return the smallest width whose network ({@link #HIDDEN_LAYERS} hidden layers) has at least that many
     *         parameters
     */
    public static int widthFor(long targetParams) {
        if (targetParams < 1 || targetParams > params(HIDDEN_LAYERS, 1L << 20)) {
            throw new IllegalArgumentException("parameter count " + targetParams + " is out of range; use 1 to "
                    + params(HIDDEN_LAYERS, 1L << 20));
        }
        int lo = 1;
        int hi = 1 << 20;
        while (lo < hi) { // params() grows with the width: the first width reaching the target
            int mid = (lo + hi) >>> 1;
            if (params(HIDDEN_LAYERS, mid) < targetParams) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * The same network as a {@link MultiLayerConfiguration} (for {@code new MultiLayerNetwork(conf)}, which stage 3
     * can build partitioned without {@code init()}).
     *
     * @param updater the DL4J updater of every layer
     * @param seed    the weight-initialisation seed
     * @param width   the width of every hidden layer ({@link #HIDDEN_LAYERS} of them)
     * @return the configuration
     */
    public static MultiLayerConfiguration layers(IUpdater updater, long seed, int width) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(seed)
                .weightInit(WeightInit.XAVIER).updater(updater).list();
        for (int i = 0; i < HIDDEN_LAYERS; i++) {
            b.layer(new DenseLayer.Builder().nIn(i == 0 ? OptDigits.FEATURES : width).nOut(width)
                    .activation(Activation.TANH).build());
        }
        return b.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(width)
                .nOut(OptDigits.CLASSES).activation(Activation.SOFTMAX).build()).build();
    }

    /**
     * @param updater the DL4J updater of every layer
     * @param seed    the weight-initialisation seed
     * @param width   the width of every hidden layer ({@link #HIDDEN_LAYERS} of them)
     * @return an initialised graph
     */
    public static ComputationGraph build(IUpdater updater, long seed, int width) {
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
            g.addLayer(name, new DenseLayer.Builder().nOut(width).activation(Activation.TANH).build(), previous);
            previous = name;
        }
        g.addLayer("digit", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(OptDigits.CLASSES)
                .activation(Activation.SOFTMAX).build(), previous).setOutputs("digit");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }
}
