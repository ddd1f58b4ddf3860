package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** {@code ds4j estimate}: the ZeRO-paper bytes per rank, computed here by hand from the formulas. */
class EstimateCommandTest extends CliHarness {
    @TempDir
    Path dir;

    private Path config(String json) throws Exception {
        Path f = dir.resolve("ds.json");
        Files.writeString(f, json);
        return f;
    }

    private String row(int stage) {
        return out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith(stage + " ")
                || l.startsWith(stage + "* ")).findFirst().orElseThrow(() -> new AssertionError(out.toString()));
    }

    @Test
    void mixedPrecisionAdamMatchesTheZeroPaper() throws Exception {
        Path cfg = config("{\"train_batch_size\": 8, \"fp16\": {\"enabled\": true},"
                + " \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.001}},"
                + " \"zero_optimization\": {\"stage\": 2}}");
        assertEquals(0, run("estimate", "--params", "1e6", "--world-size", "4", cfg.toString()), err.toString());
        // Ψ = 1e6, N = 4, K = 12 (4 B master + 2 x 4 B Adam states).
        // stage 0: 16Ψ = 16,000,000 B = 15.26 MiB
        assertTrue(row(0).contains("(2 + 2 + 12)Ψ") && row(0).endsWith("15.26 MiB"), row(0));
        // stage 1: 4Ψ + 12Ψ/4 = 4,000,000 + 3,000,000 = 7,000,000 B = 6.68 MiB
        assertTrue(row(1).endsWith("6.68 MiB"), row(1));
        // stage 2 (configured, starred): 2Ψ + 14Ψ/4 = 2,000,000 + 3,500,000 = 5,500,000 B = 5.25 MiB
        assertTrue(row(2).startsWith("2* ") && row(2).contains("2Ψ + (2 + 12)Ψ/N") && row(2).endsWith("5.25 MiB"),
                row(2));
        // stage 3: 16Ψ/4 = 4,000,000 B = 3.81 MiB
        assertTrue(row(3).endsWith("3.81 MiB"), row(3));
    }

    @Test
    void fp32SgdWithoutMomentumHoldsNoOptimizerState() throws Exception {
        Path cfg = config("{\"train_batch_size\": 8,"
                + " \"optimizer\": {\"type\": \"SGD\", \"params\": {\"lr\": 0.1}}}");
        assertEquals(0, run("estimate", "--params", "1000", cfg.toString()), err.toString());
        // fp32: 4 B params + 4 B grads, no master, 0 state words -> 8,000 B = 7.81 KiB at every stage with N = 1
        for (int s = 0; s <= 3; s++) {
            assertTrue(row(s).endsWith("7.81 KiB"), row(s));
        }
    }

    @Test
    void modelFileGivesPsiAndTheNetworksOwnUpdater() throws Exception {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().updater(new AdaGrad(0.1))
                .list().layer(new DenseLayer.Builder().nIn(10).nOut(20).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(20).nOut(3)
                        .activation(Activation.SOFTMAX).build()).build());
        net.init();
        Path zip = dir.resolve("net.zip");
        ModelSerializer.writeModel(net, zip.toFile(), true);
        Path cfg = config("{\"train_batch_size\": 8}");
        assertEquals(0, run("estimate", "--model", zip.toString(), cfg.toString()), err.toString());
        String text = out.toString(StandardCharsets.UTF_8);
        // Ψ = 10*20 + 20 + 20*3 + 3 = 283; Adagrad keeps one fp32 word per parameter
        assertTrue(text.contains("Ψ = 283 parameters"), text);
        assertTrue(text.contains("AdaGrad") && text.contains("1 fp32 state words"), text);
        // fp32, K = 4: (4 + 4 + 4) x 283 = 3,396 B = 3.32 KiB
        assertTrue(row(0).endsWith("3.32 KiB"), row(0));
    }

    @Test
    void argumentErrorsExitTwo() throws Exception {
        Path cfg = config("{\"train_batch_size\": 8}");
        assertEquals(2, run("estimate", cfg.toString()));
        assertEquals(2, run("estimate", "--params", "10", "--model", "x.zip", cfg.toString()));
        assertEquals(2, run("estimate", "--params", "1.5", cfg.toString()));
        assertEquals(2, run("estimate", "--params", "10", "--world-size", "0", cfg.toString()));
        assertEquals(2, run("estimate", "--params", "10", dir.resolve("missing.json").toString()));
        assertEquals(2, run("estimate", "--model", dir.resolve("missing.zip").toString(), cfg.toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("error: "));
    }
}
