package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.Main;
import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.dl4j.checkpoint.Checkpoints;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code ds4j consolidate}: the zip plain DL4J restores computes the trained network's outputs exactly, and with
 * {@code --with-updater} plain {@code fit()} continues from it as if DL4J had trained all along (within the engine's
 * fp32 parity bound against {@code fit()}), from a stage-2 and from a stage-3 checkpoint.
 */
class CheckpointConsolidateTest {

    private static final int K = 3;

    @TempDir
    Path tmp;

    private static int run(List<String> args, ByteArrayOutputStream err) {
        return Main.standard().run(args, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    /**
     * @param stage 2 on {@code denseMln} (per-layer gradient normalization), or 3 on {@code plainDenseMln} (stage 3
     *              refuses gradient normalization); both with the network's own DL4J updaters
     */
    @ParameterizedTest(name = "stage {0}")
    @ValueSource(ints = {2, 3})
    void multiLayerNetworkWithUpdaterContinuesLikePlainFit(int stage) throws Exception {
        java.util.function.LongFunction<MultiLayerNetwork> net = stage == 3 ? TestNets::plainDenseMln
                : new CheckpointCases.Case(2, "fp32", "none", false, 2)::net;
        List<DataSet> data = CheckpointCases.data(2 * K);
        MultiLayerNetwork plain = net.apply(1);
        plain.fit(new ExistingDataSetIterator(data));
        MultiLayerNetwork trained = net.apply(1);
        // no clipping, as plain fit() (a DeepSpeed file's default gradient_clipping is 1.0)
        try (ZeroTrainer t = ZeroTrainer.builder(trained).worldSize(2).config(EngineOptions.defaults()
                .withStage(stage)).build()) {
            t.fit(new ExistingDataSetIterator(data.subList(0, K)));
            t.saveCheckpoint(tmp.resolve("ck"), "k");
        }
        Path zip = tmp.resolve("m.zip");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, run(List.of("consolidate", tmp.resolve("ck").toString(), "--out", zip.toString(),
                "--with-updater"), err), err.toString());
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(zip.toFile(), true);
        DataSet probe = data.get(0);
        assertEquals(trained.output(probe.getFeatures()), restored.output(probe.getFeatures()), "same outputs");
        assertEquals(K, restored.getIterationCount());
        restored.fit(new ExistingDataSetIterator(data.subList(K, 2 * K)));
        CheckpointCases.assertWithinParity(plain.params().toFloatVector(), restored.params().toFloatVector());
    }

    @Test
    void computationGraphGivesTheSameOutputs() throws Exception {
        ComputationGraph g = TestNets.convGraph(3);
        List<DataSet> data = TestNets.imageData(2, 12, 5);
        try (ZeroTrainer t = ZeroTrainer.builder(g).worldSize(2).config(DeepSpeedConfig.parse(
                "{\"train_batch_size\": 12, \"zero_optimization\": {\"stage\": 1}}")).build()) {
            t.fit(new ExistingDataSetIterator(data));
            t.saveCheckpoint(tmp.resolve("ck"), "g");
        }
        Path zip = tmp.resolve("g.zip");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, run(List.of("consolidate", tmp.resolve("ck").toString(), "--tag", "g", "--out",
                zip.toString()), err), err.toString());
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(zip.toFile(), false);
        assertArrayEquals(g.params().toFloatVector(), restored.params().toFloatVector());
        assertEquals(g.outputSingle(data.get(1).getFeatures()), restored.outputSingle(data.get(1).getFeatures()));
    }

    @Test
    void damagedCheckpointExitsTwoNamingTheFile() throws Exception {
        CheckpointCases.Case c = new CheckpointCases.Case(1, "fp32", "none", true, 2);
        try (ZeroTrainer t = c.trainer(c.net(1), tmp)) {
            t.fit(CheckpointCases.iterator(1));
            t.saveCheckpoint(tmp.resolve("ck"), "t");
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path zip = tmp.resolve("x.zip");
        assertEquals(2, run(List.of("consolidate", tmp.resolve("ck").toString(), "--out", zip.toString(),
                "--with-updater"), err));
        assertTrue(err.toString().contains("not a DL4J updater's"), err.toString());
        Path f = tmp.resolve("ck/t").resolve(Checkpoints.rankFile(1));
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() / 2);
        }
        err.reset();
        assertEquals(2, run(List.of("consolidate", tmp.resolve("ck").toString(), "--out", zip.toString()), err));
        assertTrue(err.toString().startsWith("error: " + f) && err.toString().contains("truncated"), err.toString());
    }
}
