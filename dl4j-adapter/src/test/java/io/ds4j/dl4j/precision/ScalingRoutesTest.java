package io.ds4j.dl4j.precision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.precision.Fp16;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The two routes of the package documentation give the same stored fp16 gradient on a real network: scaling the loss
 * gradient ({@link ScaledLoss}, then {@link GradientCast} with factor 1) and scaling afterwards ({@link GradientCast}
 * with the loss scale). And what loss scaling is for: with tiny gradients, scale 1 flushes many stored values to
 * zero, scale 2^16 keeps them.
 */
class ScalingRoutesTest {
    static final int M = 4;

    static MultiLayerNetwork rnn() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(11).dataType(DataType.FLOAT)
                .updater(new Sgd(0.1)).list()
                .layer(new LSTM.Builder().nIn(3).nOut(5).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunction.MSE).nIn(5).nOut(2).activation(Activation.IDENTITY)
                        .build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static float[] summedGradient(MultiLayerNetwork net, INDArray x, INDArray y) {
        net.setInput(x);
        net.setLabels(y);
        net.computeGradientAndScore();
        return net.gradient().gradient().dup().toFloatVector();
    }

    @Test
    void scalingTheLossOrTheSumStoresTheSameBits() {
        Nd4j.getRandom().setSeed(5);
        MultiLayerNetwork net = rnn();
        INDArray x = Nd4j.rand(DataType.FLOAT, M, 3, 6);
        INDArray y = Nd4j.rand(DataType.FLOAT, M, 2, 6).muli(1e-3);
        double scale = 1024;
        float[] plain = summedGradient(net, x, y);
        short[] afterwards = new short[plain.length];
        assertFalse(GradientCast.fp16().cast(plain, 0, plain.length, M, scale, afterwards, 0));
        short[] throughLoss = new short[plain.length];
        try (ScaledLossInstaller ignored = ScaledLossInstaller.install(net, new LossScaleHolder(scale))) {
            float[] scaled = summedGradient(net, x, y);
            assertFalse(GradientCast.fp16().cast(scaled, 0, scaled.length, M, 1.0, throughLoss, 0));
        }
        assertArrayEquals(afterwards, throughLoss);
    }

    @Test
    void withoutScalingSmallGradientsUnderflow() {
        Nd4j.getRandom().setSeed(6);
        MultiLayerNetwork net = rnn();
        INDArray x = Nd4j.rand(DataType.FLOAT, M, 3, 6);
        INDArray y = net.output(x).addi(1e-7);   // labels a hair off the output: tiny loss gradients
        float[] g = summedGradient(net, x, y);
        short[] unscaled = new short[g.length];
        short[] scaled = new short[g.length];
        GradientCast.fp16().cast(g, 0, g.length, M, 1.0, unscaled, 0);
        assertFalse(GradientCast.fp16().cast(g, 0, g.length, M, 65536, scaled, 0));
        int nonZero = 0;
        int lostUnscaled = 0;
        int lostScaled = 0;
        for (int i = 0; i < g.length; i++) {
            if (g[i] != 0) {
                nonZero++;
                lostUnscaled += Fp16.toFloat(unscaled[i]) == 0 ? 1 : 0;
                lostScaled += Fp16.toFloat(scaled[i]) == 0 ? 1 : 0;
                assertTrue(Fp16.toFloat(unscaled[i]) == 0 || Fp16.toFloat(scaled[i]) != 0,
                        "element " + i + " survives unscaled, so it survives scaled");
            }
        }
        String counts = nonZero + " non-zero of " + g.length + ", lost unscaled " + lostUnscaled + ", lost scaled "
                + lostScaled;
        assertTrue(nonZero > g.length / 2, counts);
        assertTrue(lostUnscaled > nonZero / 4, counts);
        assertTrue(lostScaled * 10 <= lostUnscaled, counts);
    }
}
