package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.TestNets;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.config.OffloadParamConfig;
import java.time.Duration;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Lockstep parity of stage 3 on {@link ComputationGraph}s against plain {@code fit()}, 20 steps: a branching graph
 * whose first dense layer feeds two branches (its epsilon is the sum of both, in DL4J's order) joined by a merge
 * vertex, a convolutional graph with a pre-processor, and LSTM into multi-head self-attention (a SameDiff layer). Tolerance as in {@link Stage3ParityTest}: bit-identical at
 * world size 1, {@code 1e-6 + 1e-5 |p|} for 2 and 3 ranks (reordered summation of the same gradients).
 */
class Stage3GraphParityTest {

    static ComputationGraph branching(long seed) {
        ComputationGraphConfiguration c = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER).updater(new Adam(1e-2)).l2(1e-3).graphBuilder()
                .addInputs("in")
                .addLayer("a", new DenseLayer.Builder().nIn(6).nOut(10).activation(Activation.TANH).build(), "in")
                .addLayer("b", new DenseLayer.Builder().nIn(10).nOut(8).activation(Activation.RELU).build(), "a")
                .addLayer("c", new DenseLayer.Builder().nIn(10).nOut(6).activation(Activation.SIGMOID).build(), "a")
                .addVertex("merge", new MergeVertex(), "b", "c")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(14).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "merge")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(c);
        g.init();
        return g;
    }

    static ComputationGraph conv(long seed) {
        ComputationGraphConfiguration c = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER).updater(new Adam(1e-2)).graphBuilder()
                .addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.RELU).build(),
                        "in")
                .addLayer("dense", new DenseLayer.Builder().nOut(8).activation(Activation.TANH).build(), "conv")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("out").setInputTypes(InputType.convolutional(6, 6, 1)).build();
        ComputationGraph g = new ComputationGraph(c);
        g.init();
        return g;
    }

    static ComputationGraph attention(long seed) {
        ComputationGraphConfiguration c = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER).updater(new Adam(1e-2)).graphBuilder()
                .addInputs("in").setInputTypes(InputType.recurrent(4, 5, RNNFormat.NCW))
                .addLayer("lstm", new LSTM.Builder().nOut(6).activation(Activation.TANH).build(), "in")
                .addLayer("attn", new SelfAttentionLayer.Builder().nOut(6).nHeads(2).projectInput(true).build(),
                        "lstm")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "attn")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out").build();
        ComputationGraph g = new ComputationGraph(c);
        g.init();
        return g;
    }

    private static ComputationGraph make(String net, long seed) {
        return switch (net) {
            case "branching" -> branching(seed);
            case "conv" -> conv(seed);
            default -> attention(seed);
        };
    }

    private static long[] featureShape(String net) {
        return switch (net) {
            case "branching" -> new long[] {6};
            case "conv" -> new long[] {1, 6, 6};
            default -> new long[] {4, 5};
        };
    }

    @ParameterizedTest(name = "{0} W={1} {2}")
    @CsvSource({"branching,1,plain", "branching,2,plain", "branching,3,plain", "branching,3,prefetch",
        "branching,2,defaults", "branching,2,gas3", "conv,1,plain", "conv,3,plain", "attention,1,plain", "attention,3,prefetch"})
    void matchesPlainFit(String net, int world, String knobs) {
        List<DataSet> data = TestNets.randomData(Stage3ParityTest.STEPS, Stage3ParityTest.BATCH, 11, featureShape(net),
                new long[] {3});
        ComputationGraph reference = make(net, 42);
        ComputationGraph engine = make(net, 42);
        int gas = knobs.startsWith("gas") ? Integer.parseInt(knobs.substring(3)) : 1;
        try (Stage3Trainer t = Stage3Trainer.create(engine, Stage3ParityTest.knobs(knobs), OffloadParamConfig.none(),
                InProcessCollectives.create(world, Duration.ofMinutes(5)), Stage3Numerics.fp32())) {
            Stage3Steps steps = new Stage3Steps(t, gas);
            for (DataSet d : data) {
                reference.fit(d);
                double s = steps.fit(d);
                assertEquals(reference.score(), s, 1e-5 + 1e-5 * Math.abs(s), "score");
            }
            ComputationGraph out = make(net, 1);
            t.copyParamsTo(out);
            float[] expect = reference.params().toFloatVector();
            float[] got = out.params().toFloatVector();
            if (world == 1) {
                assertArrayEquals(expect, got, "world size 1 must be bit-identical");
            }
            for (int i = 0; i < expect.length; i++) {
                assertTrue(Math.abs(expect[i] - got[i]) <= 1e-6 + 1e-5 * Math.abs(expect[i]),
                        "param " + i + ": " + expect[i] + " vs " + got[i]);
            }
        }
    }
}
