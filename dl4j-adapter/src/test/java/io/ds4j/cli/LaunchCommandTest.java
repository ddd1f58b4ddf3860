package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.comm.ucx.UcxLibrary;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ds4j launch}: its options, and two real launches of {@code train} as rank processes. */
class LaunchCommandTest {
    @TempDir
    Path dir;

    @Test
    void optionsAndTheirErrors() {
        LaunchCommand.Plan p = LaunchCommand.parse(List.of("--nproc", "4", "--nnodes", "2", "--node-rank", "1",
                "--master-addr", "head", "--", "train", "--steps", "5"));
        assertEquals(new LaunchCommand.Plan(4, 2, 1, "head", 29500, List.of("train", "--steps", "5")), p);
        assertEquals(0, LaunchCommand.parse(List.of("--nproc", "2", "--", "train")).masterPort(), "one host: a free"
                + " port is picked at launch");
        assertEquals("launch: give the command to run after --, e.g. -- train config.json",
                assertThrows(IllegalArgumentException.class, () -> LaunchCommand.parse(List.of("--nproc", "2")))
                        .getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LaunchCommand.parse(List.of("--", "train")))
                .getMessage().startsWith("--nproc is required"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LaunchCommand.parse(List.of("--nproc", "2",
                "--include", "h", "--", "train"))).getMessage().startsWith("--include and --exclude select hosts of"));
        assertEquals("--node-rank 2 is outside 0..1 for --nnodes 2", assertThrows(IllegalArgumentException.class,
                () -> LaunchCommand.parse(List.of("--nproc", "1", "--nnodes", "2", "--node-rank", "2", "--",
                        "train"))).getMessage());
    }

    @Test
    void twoRankProcessesTrainAndRankZeroWritesTheModel() throws Exception {
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "skipped: " + UcxLibrary.INSTALL_HINT);
        Path model = dir.resolve("m.zip");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new LaunchCommand().run(List.of("--nproc", "2", "--", "train", "--steps", "3", "--out",
                model.toString()), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        assertTrue(Files.size(model) > 0);
        ComputationGraph net = ModelSerializer.restoreComputationGraph(model.toFile());
        assertEquals(3, net.getIterationCount(), "three steps trained across the two processes");
    }

    @Test
    void twoRankProcessesTrainAStage3Config() throws Exception {
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "skipped: " + UcxLibrary.INSTALL_HINT);
        Path config = Files.writeString(dir.resolve("stage3.json"), "{\"train_batch_size\": 64, \"zero_optimization\":"
                + " {\"stage\": 3, \"offload_param\": {\"device\": \"cpu\"}}}");
        Path model = dir.resolve("m3.zip");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new LaunchCommand().run(List.of("--nproc", "2", "--", "train", config.toString(), "--steps", "3",
                "--out", model.toString()), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        ComputationGraph net = ModelSerializer.restoreComputationGraph(model.toFile());
        assertEquals(3, net.getIterationCount(), "three stage-3 steps trained across the two processes");
        ComputationGraph initial = io.ds4j.cli.train.DigitsModel.build(new org.nd4j.linalg.learning.config.Adam(1e-3),
                io.ds4j.cli.train.TrainJob.SEED);
        assertEquals(initial.numParams(), net.numParams());
        assertTrue(!initial.params().equals(net.params()), "rank 0 wrote the gathered, trained parameters");
    }

    @Test
    void aFailingRankGivesItsExitStatus() {
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "skipped: " + UcxLibrary.INSTALL_HINT);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new LaunchCommand().run(List.of("--nproc", "2", "--", "train", dir.resolve("none.json")
                .toString()), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
        assertEquals(2, status, err.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("exited with status 2"), err.toString(
                StandardCharsets.UTF_8));
    }
}
