package io.ds4j.cli.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ds4j train --save-dir D --save-every K --resume}: a run stopped after 6 of 10 steps and resumed from its
 * checkpoint ends with the same model as 10 steps straight, bit for bit (stage 2, and stage 3 with offload).
 */
class TrainCheckpointTest {

    @TempDir
    Path dir;

    private static String run(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.standard().run(List.of(args), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, e);
        return e;
    }

    @Test
    void stoppedAndResumedEqualsStraight() throws Exception {
        stoppedAndResumedEqualsStraight("{\"stage\": 2}");
    }

    /** Stage 3 with its parameter shards and optimizer state offloaded to the host. */
    @Test
    void stoppedAndResumedEqualsStraightAtStage3() throws Exception {
        stoppedAndResumedEqualsStraight("{\"stage\": 3, \"offload_param\": {\"device\": \"cpu\"},"
                + " \"offload_optimizer\": {\"device\": \"cpu\"}}");
    }

    private void stoppedAndResumedEqualsStraight(String zero) throws Exception {
        Path cfg = dir.resolve("c.json");
        Files.writeString(cfg, "{\"train_batch_size\": 32, \"fp16\": {\"enabled\": true}, \"optimizer\": {\"type\":"
                + " \"AdamW\", \"params\": {\"lr\": 0.003}}, \"zero_optimization\": " + zero + "}");
        String d = dir.resolve("ck").toString();
        run("train", "--steps", "10", "--out", dir.resolve("a.zip").toString(), cfg.toString());
        run("train", "--steps", "6", "--save-dir", d, "--save-every", "4", "--out", dir.resolve("x.zip").toString(),
                cfg.toString());
        assertTrue(Files.isDirectory(dir.resolve("ck/global_step4")) && Files.isDirectory(dir.resolve(
                "ck/global_step6")), "saved every 4 steps and at the end");
        assertEquals("global_step6", Files.readString(dir.resolve("ck/latest")));
        String err = run("train", "--steps", "10", "--save-dir", d, "--resume", "--out", dir.resolve("b.zip")
                .toString(), cfg.toString());
        assertTrue(err.contains("resumed from") && err.contains("after 6 steps"), err);
        assertArrayEquals(ModelSerializer.restoreComputationGraph(dir.resolve("a.zip").toFile()).params()
                .toFloatVector(), ModelSerializer.restoreComputationGraph(dir.resolve("b.zip").toFile()).params()
                .toFloatVector());
        assertEquals("global_step10", Files.readString(dir.resolve("ck/latest")));
    }
}
