package io.ds4j.dl4j.precision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * {@link ScaledLoss} and {@link ScaledLossInstaller} on real DL4J networks (fp32): with a power-of-two scale every
 * parameter gradient is exactly {@code scale} times the unscaled one (backpropagation is linear in the loss
 * gradient and multiplying by 2^k is exact), the score is bit-identical, and closing restores the very same loss
 * function objects, so the configuration JSON and a ModelSerializer round trip are those of the untouched network.
 */
class ScaledLossTest {

    static MultiLayerNetwork mln() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.FLOAT)
                .updater(new Adam(1e-2)).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(6).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(6).nOut(3).activation(Activation.SOFTMAX)
                        .build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static ComputationGraph graph() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.FLOAT)
                .updater(new Adam(1e-2)).graphBuilder().addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(4).nOut(6).activation(Activation.TANH).build(), "in")
                .addLayer("cls", new OutputLayer.Builder(LossFunction.MCXENT).nIn(6).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "hidden")
                .addLayer("reg", new LossLayer.Builder(LossFunction.MSE).activation(Activation.IDENTITY).build(),
                        "hidden")
                .setOutputs("cls", "reg").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    static INDArray features() {
        return Nd4j.rand(DataType.FLOAT, 5, 4).subi(0.5);
    }

    static INDArray labels() {
        INDArray l = Nd4j.zeros(DataType.FLOAT, 5, 3);
        for (int i = 0; i < 5; i++) {
            l.putScalar(i, i % 3, 1f);
        }
        return l;
    }

    private static float[] gradient(MultiLayerNetwork net, INDArray x, INDArray y) {
        net.setInput(x);
        net.setLabels(y);
        net.computeGradientAndScore();
        return net.gradient().gradient().dup().toFloatVector();
    }

    @Test
    void gradientIsExactlyScaleTimesAndScoreIsUnchanged() {
        Nd4j.getRandom().setSeed(1);
        MultiLayerNetwork net = mln();
        INDArray x = features();
        INDArray y = labels();
        float[] plain = gradient(net, x, y);
        double score = net.score();
        LossScaleHolder holder = new LossScaleHolder(1024);
        try (ScaledLossInstaller installer = ScaledLossInstaller.install(net, holder)) {
            assertEquals(1, installer.installedCount());
            for (double s : new double[] {1024, 0.125, 65536}) {
                holder.set(s);
                float[] scaled = gradient(net, x, y);
                assertEquals(score, net.score(), 0.0, "score must not carry the scale");
                float[] expected = new float[plain.length];
                for (int i = 0; i < plain.length; i++) {
                    expected[i] = (float) (plain[i] * s);   // exact: s is a power of two
                }
                assertArrayEquals(expected, scaled, "scale " + s);
            }
        }
        assertArrayEquals(plain, gradient(net, x, y), "after close the gradient is unscaled again");
        assertEquals(score, net.score(), 0.0);
    }

    @Test
    void closeRestoresTheOriginalObjectsAndJson() throws Exception {
        MultiLayerNetwork net = mln();
        BaseOutputLayer out = (BaseOutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer();
        ILossFunction original = out.getLossFn();
        String before = net.getLayerWiseConfigurations().toJson();
        ScaledLossInstaller installer = ScaledLossInstaller.install(net, new LossScaleHolder(8));
        assertInstanceOf(ScaledLoss.class, out.getLossFn());
        assertSame(original, ((ScaledLoss) out.getLossFn()).delegate());
        assertNotEquals(before, net.getLayerWiseConfigurations().toJson());
        installer.close();
        installer.close();   // idempotent
        assertFalse(installer.isInstalled());
        assertSame(original, out.getLossFn());
        assertEquals(before, net.getLayerWiseConfigurations().toJson());
    }

    @Test
    void modelSerializerRoundTripAfterTraining(@TempDir Path dir) throws Exception {
        MultiLayerNetwork net = mln();
        try (ScaledLossInstaller ignored = ScaledLossInstaller.install(net, new LossScaleHolder(4))) {
            net.fit(features(), labels());
        }
        String before = net.getLayerWiseConfigurations().toJson();   // fit advanced the iteration count
        assertFalse(before.contains("ScaledLoss"));
        File file = dir.resolve("net.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        MultiLayerNetwork back = ModelSerializer.restoreMultiLayerNetwork(file, true);
        assertEquals(before, back.getLayerWiseConfigurations().toJson());
        assertEquals(net.params(), back.params());
        assertEquals(net.getUpdater().getStateViewArray(), back.getUpdater().getStateViewArray());
        ILossFunction loss = ((BaseOutputLayer) back.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn();
        assertFalse(loss instanceof ScaledLoss);
    }

    @Test
    void computationGraphEveryOutputIsScaledAndRestored() {
        Nd4j.getRandom().setSeed(3);
        ComputationGraph g = graph();
        INDArray x = features();
        INDArray[] y = {labels(), Nd4j.rand(DataType.FLOAT, 5, 6)};
        String before = g.getConfiguration().toJson();
        g.setInputs(x);
        g.setLabels(y);
        g.computeGradientAndScore();
        float[] plain = g.gradient().gradient().dup().toFloatVector();
        double score = g.score();
        try (ScaledLossInstaller installer = ScaledLossInstaller.install(g, new LossScaleHolder(256))) {
            assertEquals(2, installer.installedCount());
            g.setInputs(x);
            g.setLabels(y);
            g.computeGradientAndScore();
            float[] scaled = g.gradient().gradient().dup().toFloatVector();
            assertEquals(score, g.score(), 0.0);
            for (int i = 0; i < plain.length; i++) {
                assertEquals(plain[i] * 256f, scaled[i], 0f, "element " + i);
            }
        }
        assertEquals(before, g.getConfiguration().toJson());
    }

    @Test
    void jsonWrittenWhileInstalledReadsBack() {
        MultiLayerNetwork net = mln();
        try (ScaledLossInstaller ignored = ScaledLossInstaller.install(net, new LossScaleHolder(64))) {
            String json = net.getLayerWiseConfigurations().toJson();
            MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
            ILossFunction loss = ((BaseOutputLayer) back.getConf(1).getLayer()).getLossFn();
            ScaledLoss scaled = assertInstanceOf(ScaledLoss.class, loss);
            assertEquals(1.0, scaled.holder().get());
            assertEquals(((ScaledLoss) ((BaseOutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer())
                    .getLossFn()).delegate(), scaled.delegate());
        }
    }

    @Test
    void refusesNetworksWithoutLossAndDoubleInstallation() {
        MultiLayerNetwork noOutput = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().nIn(2).nOut(2).build()).build());
        noOutput.init();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScaledLossInstaller.install(noOutput, new LossScaleHolder()));
        assertTrue(e.getMessage().contains("no layer with a loss function"), e.getMessage());
        MultiLayerNetwork net = mln();
        List<ScaledLossInstaller> opened = new ArrayList<>();
        opened.add(ScaledLossInstaller.install(net, new LossScaleHolder()));
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> opened.add(ScaledLossInstaller.install(net, new LossScaleHolder())));
        assertTrue(twice.getMessage().contains("already"), twice.getMessage());
        opened.forEach(ScaledLossInstaller::close);
        assertThrows(IllegalArgumentException.class, () -> new LossScaleHolder(0));
        assertThrows(IllegalArgumentException.class, () -> new LossScaleHolder().set(Double.POSITIVE_INFINITY));
    }

    /**
     * A HALF network's output: the loss gradient is computed in FLOAT from the widened HALF output, multiplied by the
     * scale in FLOAT and rounded to HALF once. Scaling in HALF arithmetic instead would make the scale 65536 itself
     * Inf (fp16's largest finite value is 65504), which is what the first assertion guards against.
     */
    @Test
    void halfOutputIsScaledInFloatAndRoundedOnce() {
        Nd4j.getRandom().setSeed(12);
        INDArray pre = Nd4j.randn(DataType.FLOAT, 5, 3).castTo(DataType.HALF);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, 5, 3);
        for (int i = 0; i < 5; i++) {
            labels.putScalar(i, i % 3, 1.0);
        }
        ILossFunction own = LossFunction.MCXENT.getILossFunction();
        ScaledLoss scaled = new ScaledLoss(own, new LossScaleHolder(65536));
        INDArray got = scaled.computeGradient(labels, pre.dup(), Activation.SOFTMAX.getActivationFunction(), null);
        assertEquals(DataType.HALF, got.dataType(), "the backward pass continues in the network's type");
        float[] g = got.castTo(DataType.FLOAT).ravel().toFloatVector();
        float[] wide = own.computeGradient(labels, pre.castTo(DataType.FLOAT), Activation.SOFTMAX
                .getActivationFunction(), null).ravel().toFloatVector();
        for (int i = 0; i < g.length; i++) {
            assertTrue(Float.isFinite(g[i]), "element " + i + " must stay finite: " + g[i]);
            assertEquals(io.ds4j.precision.Fp16.round(wide[i] * 65536f), g[i], "element " + i);
        }
        double score = scaled.computeScore(labels, pre, Activation.SOFTMAX.getActivationFunction(), null, true);
        assertEquals(own.computeScore(labels, pre.castTo(DataType.FLOAT), Activation.SOFTMAX.getActivationFunction(),
                null, true), score, "the score is the FLOAT loss of the HALF output");
    }
}
