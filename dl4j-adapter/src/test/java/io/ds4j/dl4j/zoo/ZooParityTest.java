package io.ds4j.dl4j.zoo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.EngineOptions;
import io.ds4j.dl4j.ZeroTrainer;
import java.util.List;
import java.util.function.Supplier;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.zoo.model.LeNet;
import org.deeplearning4j.zoo.model.SqueezeNet;
import org.deeplearning4j.zoo.model.TextGenerationLSTM;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Parity on networks no one here wrote: DL4J's zoo models ({@code deeplearning4j-zoo} 1.0.0-M2.1, built by their own
 * builders at a small input size and few classes, no pretrained weights), trained by {@link ZeroTrainer} on 2 ranks at
 * stages 0-3 against plain {@code fit()} on the same global batches (issue 18).
 *
 * <p><b>Measure.</b> {@code rel = ||p_zero - p_fit||_2 / ||p_fit||_2} over the whole flat parameter vector after the
 * run; parity is {@code rel <= 1e-4}. Each check also asserts that {@code fit()} moved the parameters by more than
 * ten times that ({@code ||p_0 - p_fit|| / ||p_fit|| > 1e-3}), so parity is not met by a run that did nothing.
 * Measured: LeNet rel 6.2e-8, TextGenerationLSTM 2.2e-6, SqueezeNet without dropout 3.5e-9, the same at every stage.
 *
 * <p><b>Why 1e-4 and not the dense suites' per-element {@code 1e-6 + 1e-5 |p|}.</b> Two ranks of 4 examples sum
 * the same per-example gradients in another order than one batch of 8: a relative difference of a few float ulps in
 * each step's gradient. RmsProp/AdaDelta divide the update by the gradient's running RMS, so elements whose gradient
 * is near zero get an update that is sensitive to those ulps, and the recurrent layers feed the difference back
 * through the time steps. That amplification is float noise, not a different training: for TextGenerationLSTM
 * (T=10, 12 characters, 6 steps, batch 8) plain {@code fit()} on the same batches with the examples in reverse order
 * (the same mathematics) differs from {@code fit()} by rel 2.0e-5 (l2 on) and 2.6e-5 (l2 off) in fp32, and by
 * 6.4e-15 and 6.6e-15 with the network in DOUBLE; ZeRO differed by 1.4e-5 (l2 on) and 1.5e-4 (l2 off), the same on
 * stages 0-3 (each stage sums rank 0's and rank 1's gradients in the same order). Taken apart (l2 off): one rank
 * without accumulation is bit-identical to {@code fit()}; 2 ranks at one native thread each are bit-identical to one
 * rank accumulating the same 2 micro-batches at one thread; the split alone gives 4.8e-5, one thread instead of two
 * 1.0e-4. Single elements can move by more than the dense bound (8.7e-5 absolute at |p| ~ 0.1), which is why the
 * recurrent measure is the vector norm.
 */
class ZooParityTest {

    static final double PARITY = 1e-4;
    static final int WORLD = 2;

    @Test
    void leNet() {
        checkStages(ZooParityTest::leNetModel, ZooData.images(3, 8, new int[] {784}, 3, 1), 0, 1, 2, 3);
    }

    /** TruncatedBPTT with forward length 50: sequences of 8 steps are one segment (longer ones are refused). */
    @Test
    void textGenerationLstm() {
        checkStages(ZooParityTest::textModel, ZooData.text(3, 8, 10, 8, 2), 0, 1, 2, 3);
    }

    /** A ComputationGraph with merge vertices (fire modules); its one dropout layer removed (see dropout test). */
    @Test
    void squeezeNetWithoutDropout() {
        checkStages(() -> withoutDropout(squeezeNetModel().getConfiguration().clone()), squeezeData(), 0, 1, 2, 3);
    }

    static Model leNetModel() {
        return LeNet.builder().numClasses(3).inputShape(new int[] {1, 28, 28}).build().init();
    }

    static Model textModel() {
        return TextGenerationLSTM.builder().inputShape(new int[] {8, 10}).totalUniqueCharacters(10).build().init();
    }

    static ComputationGraph squeezeNetModel() {
        return SqueezeNet.builder().numClasses(3).inputShape(new int[] {3, 32, 32}).build().init();
    }

    static List<DataSet> squeezeData() {
        return ZooData.images(3, 8, new int[] {3, 32, 32}, 3, 3);
    }

    static void checkStages(Supplier<Model> make, List<DataSet> data, int... stages) {
        Model start = make.get();
        float[] p0 = start.params().toFloatVector();
        Model reference = make.get();
        fit(reference, data);
        float[] want = reference.params().toFloatVector();
        double moved = rel(p0, want);
        assertTrue(moved > 10 * PARITY, "training must move the parameters well beyond the tolerance: " + moved);
        for (int stage : stages) {
            double r = rel(zero(make.get(), data, stage, WORLD, 1), want);
            System.out.printf("zoo parity %s stage %d: rel %.3e (moved %.3e)%n", name(start), stage, r, moved);
            assertTrue(r <= PARITY, name(start) + " stage " + stage + ": rel " + r + " > " + PARITY);
        }
    }

    static float[] zero(Model net, List<DataSet> data, int stage, int world, int gas) {
        return zero(net, data, stage, world, gas, 0);
    }

    /** @param threads native threads per rank, 0 for the trainer's default (the cores divided by the ranks) */
    static float[] zero(Model net, List<DataSet> data, int stage, int world, int gas, int threads) {
        EngineOptions o = EngineOptions.defaults().withStage(stage).withAccumulation(gas);
        ZeroTrainer.Builder b = ZeroTrainer.builder(net).config(o).worldSize(world);
        try (ZeroTrainer t = (threads > 0 ? b.threadsPerRank(threads) : b).build()) {
            t.fit(new ExistingDataSetIterator(data));
        }
        return net.params().toFloatVector();
    }

    static void fit(Model net, List<DataSet> data) {
        if (net instanceof MultiLayerNetwork m) {
            m.fit(new ExistingDataSetIterator(data));
        } else {
            ((ComputationGraph) net).fit(new ExistingDataSetIterator(data));
        }
    }

    /** @return {@code ||a - b||_2 / ||b||_2}, in double */
    static double rel(float[] a, float[] b) {
        double d = 0;
        double n = 0;
        for (int i = 0; i < a.length; i++) {
            double e = (double) a[i] - b[i];
            d += e * e;
            n += (double) b[i] * b[i];
        }
        return Math.sqrt(d / n);
    }

    static String name(Model m) {
        return m.getClass().getSimpleName() + "(" + m.numParams() + " params)";
    }

    /** The graph with every layer's dropout removed (DropoutLayer becomes the identity). */
    static ComputationGraph withoutDropout(ComputationGraphConfiguration conf) {
        for (var v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv) {
                lv.getLayerConf().getLayer().setIDropout(null);
            }
        }
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /** The network with every layer's dropout removed. */
    static MultiLayerNetwork withoutDropout(MultiLayerConfiguration conf) {
        for (NeuralNetConfiguration c : conf.getConfs()) {
            c.getLayer().setIDropout(null);
        }
        MultiLayerNetwork n = new MultiLayerNetwork(conf);
        n.init();
        return n;
    }
}
