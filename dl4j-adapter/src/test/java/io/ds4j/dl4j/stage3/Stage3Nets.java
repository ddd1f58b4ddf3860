package io.ds4j.dl4j.stage3;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small networks and data for stage-3 parity tests. */
final class Stage3Nets {
    private Stage3Nets() {
    }

    private static NeuralNetConfiguration.Builder base(long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).weightInit(WeightInit.XAVIER)
                .updater(new Adam(1e-2));
    }

    /** Dense 6-16-12-3 with l2 and, on the middle layer, its own updater (two DL4J updater blocks). */
    static MultiLayerNetwork dense(long seed) {
        MultiLayerConfiguration c = base(seed).l2(1e-3).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(16).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(16).nOut(12).activation(Activation.RELU)
                        .updater(new Nesterovs(0.05, 0.9)).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(12).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(c);
        n.init();
        return n;
    }

    /** Convolution 1x8x8 -> conv 3x3 (4) -> max pool -> dense 10 -> softmax 3 (with pre-processors). */
    static MultiLayerNetwork conv(long seed) {
        MultiLayerConfiguration c = base(seed).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder().nOut(10).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(8, 8, 1))
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(c);
        n.init();
        return n;
    }

    /** LSTM 4 -> 8 -> RnnOutputLayer 3 over 5 time steps. */
    static MultiLayerNetwork lstm(long seed) {
        MultiLayerConfiguration c = base(seed).list()
                .layer(new LSTM.Builder().nIn(4).nOut(8).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(c);
        n.init();
        return n;
    }

    /** Random batches: features of {@code featureShape} per example, one-hot labels of 3 classes. */
    static List<DataSet> data(int batches, int batchSize, long seed, long[] featureShape, long[] labelShape) {
        Random r = new Random(seed);
        List<DataSet> out = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            long[] fs = prepend(batchSize, featureShape);
            long[] ls = prepend(batchSize, labelShape);
            var f = Nd4j.rand(DataType.FLOAT, fs).subi(0.5).muli(2);
            var l = Nd4j.zeros(DataType.FLOAT, ls);
            long steps = ls.length == 3 ? ls[2] : 1;
            for (int i = 0; i < batchSize; i++) {
                for (long t = 0; t < steps; t++) {
                    int k = r.nextInt(3);
                    if (ls.length == 3) {
                        l.putScalar(new long[] {i, k, t}, 1f);
                    } else {
                        l.putScalar(new long[] {i, k}, 1f);
                    }
                }
            }
            out.add(new DataSet(f, l));
        }
        return out;
    }

    private static long[] prepend(long n, long[] shape) {
        long[] s = new long[shape.length + 1];
        s[0] = n;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }
}
