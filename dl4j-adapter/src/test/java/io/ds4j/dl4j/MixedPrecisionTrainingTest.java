package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.precision.Bf16;
import io.ds4j.precision.Fp16;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * fp16 and bf16 through the ZeRO-2 engine on 2 ranks against fp32 on the same data and steps.
 *
 * <p>The task is deliberately one whose gradients are tiny: the output layer's loss is weighted by {@code W = 1e-6}
 * for every class, so every gradient is 1e-6 times a normal one (about 1e-9 to 1e-6), below or at the bottom of
 * fp16's range (smallest subnormal 2^-24 = 6.0e-8, smallest normal 2^-14 = 6.1e-5). Adam is invariant to the
 * gradient's scale (its epsilon is set to 1e-14, far below sqrt(v)), so fp32 trains normally. With DeepSpeed's
 * dynamic loss scale (2^16 here) the stored fp16 gradient is 65536 x that, inside fp16's normal range, so fp16 must
 * track fp32; with a static scale of 1 the stored gradients underflow and fp16 must visibly fall behind.
 */
class MixedPrecisionTrainingTest {

    private static final double W = 1e-6;
    private static final int BATCH = TestNets.BLOB_BATCH;
    private static final int EPOCHS = 6;
    private static final List<DataSet> data = TestNets.BLOB_BATCHES;
    private static final DataSet all = TestNets.BLOB_ALL;

    @Test
    void fp16WithLossScalingTracksFp32AndWithoutItLosesSmallGradients() {
        Run fp32 = train("");
        Run fp16 = train(", \"fp16\": {\"enabled\": true, \"initial_scale_power\": 16}");
        Run noScale = train(", \"fp16\": {\"enabled\": true, \"loss_scale\": 1}");
        double start = fp32.startLoss;
        assertTrue(fp32.loss < 0.5 * start, "fp32 must learn: " + start + " -> " + fp32.loss);
        assertEquals(fp32.loss, fp16.loss, 0.02 * fp32.loss, "fp16 (scale 2^16) vs fp32");
        assertEquals(0, fp16.skipped, "no overflow expected at 2^16 with gradients ~1e-6");
        assertTrue(fp16.flushed < 0.01, "with scaling almost no gradient element underflows: " + fp16.flushed);
        // without loss scaling most stored gradient elements are flushed to zero and training falls visibly behind
        assertTrue(noScale.flushed > 0.3, "fraction flushed at scale 1: " + noScale.flushed);
        assertTrue(noScale.loss > fp32.loss * 1.5, "scale 1 must lose: fp32 " + fp32.loss + ", fp16 unscaled "
                + noScale.loss);
        System.out.printf("fp16 e2e: start %.6g fp32 %.6g fp16 %.6g (flushed %.4f) fp16-scale1 %.6g (flushed %.4f)%n",
                start, fp32.loss, fp16.loss, fp16.flushed, noScale.loss, noScale.flushed);
    }

    /**
     * bf16 has fp32's exponent range, so nothing underflows, but only 8 significant bits: the compute copy and every
     * stored gradient carry a relative rounding error up to 2^-9 (0.2%). The fp32 master accumulates the updates
     * exactly as in fp32, so the difference stays at the level of a few such roundings of the loss: within 5%.
     */
    @Test
    void bf16TracksFp32WithinItsRounding() {
        Run fp32 = train("");
        Run bf16 = train(", \"bf16\": {\"enabled\": true}");
        assertEquals(fp32.loss, bf16.loss, 0.05 * fp32.loss, "bf16 vs fp32");
        assertEquals(0, bf16.skipped);
        System.out.printf("bf16 e2e: fp32 %.6g bf16 %.6g (rel %.4f)%n", fp32.loss, bf16.loss,
                Math.abs(bf16.loss - fp32.loss) / fp32.loss);
    }

    /**
     * The DeepSpeed-optimizer path (fused Adam on the fp32 master shard) with 2 accumulation steps and ZeRO-1, on the
     * unweighted loss: fp16 ends within 2% of fp32.
     */
    @Test
    void fp16WithDeepSpeedAdamAndAccumulationTracksFp32() {
        String common = ", \"gradient_accumulation_steps\": 2, \"optimizer\": {\"type\": \"Adam\", \"params\":"
                + " {\"lr\": 0.005}}";
        double fp32 = trainPlain(common, 1);
        double fp16 = trainPlain(common + ", \"fp16\": {\"enabled\": true}", 1);
        assertEquals(fp32, fp16, 0.02 * fp32, "fp16 vs fp32 with DeepSpeed's Adam, gas 2");
        System.out.printf("fp16 adam gas2 e2e: fp32 %.6g fp16 %.6g%n", fp32, fp16);
    }

    private static double trainPlain(String extra, int stage) {
        MultiLayerNetwork net = TestNets.blobNet(1.0, Activation.TANH);
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": " + BATCH + ", \"gradient_clipping\": 0,"
                + " \"zero_optimization\": {\"stage\": " + stage + "}" + extra + "}");
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(data), 3);
        }
        return net.score(all);
    }

    /** After fit the user's network holds fp32 master values and its own loss function objects again. */
    @Test
    void userNetworkIsRestoredAfterFit() {
        MultiLayerNetwork net = TestNets.blobNet();
        ILossFunction own = ((OutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn();
        DeepSpeedConfig cfg = DeepSpeedConfig.parse(config(", \"fp16\": {\"enabled\": true}"));
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).build()) {
            t.fit(new ExistingDataSetIterator(data), 2);
        }
        assertSame(own, ((OutputLayer) net.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn());
        assertSame(own, ((org.deeplearning4j.nn.layers.BaseOutputLayer<?>) net.getLayer(1)).layerConf().getLossFn());
        float[] p = net.params().toFloatVector();
        int notHalf = 0;
        int notBf16 = 0;
        for (float v : p) {
            notHalf += Fp16.round(v) != v ? 1 : 0;
            notBf16 += Bf16.round(v) != v ? 1 : 0;
        }
        // an fp32 master moved by Adam's small updates is almost never an fp16 value (11 significant bits)
        assertTrue(notHalf > p.length / 2, "expected fp32 master values, " + notHalf + " of " + p.length);
        assertTrue(notBf16 >= notHalf);
    }

    private record Run(double startLoss, double loss, long skipped, double flushed) { }

    private static Run train(String precision) {
        MultiLayerNetwork net = TestNets.blobNet();
        double start = net.score(all);
        DeepSpeedConfig cfg = DeepSpeedConfig.parse(config(precision));
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(data), EPOCHS);
            return new Run(start, net.score(all), t.skippedSteps(), t.flushedGradientFraction());
        }
    }

    private static String config(String precision) {
        return "{\"train_batch_size\": " + BATCH + ", \"gradient_clipping\": 0, \"zero_optimization\": {\"stage\": 2}"
                + precision + "}";
    }
}
