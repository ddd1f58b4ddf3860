package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Issue 12, defect 4: when {@link ZeroTrainer.Builder#build()} fails after the offload stores could have been opened
 * (here the last thing it opens, the {@code csv_monitor}, whose {@code output_path} lies under a regular file), it
 * leaves nothing behind: no files or directories in {@code nvme_path}, no learning-rate schedule installed in the
 * user's network (its configuration JSON is unchanged), its parameters untouched.
 */
class ZeroTrainerBuildCleanupTest {
    @TempDir
    Path dir;

    private String path(Path p) {
        return p.toString().replace("\\", "\\\\");
    }

    private String json(int stage, boolean withOptimizer) throws IOException {
        Path nvme = Files.createDirectories(dir.resolve("nvme"));
        Path blocker = Files.writeString(dir.resolve("a-file"), "not a directory");
        String nvmeStore = "{\"device\": \"nvme\", \"nvme_path\": \"" + path(nvme) + "\", \"buffer_count\": 4}";
        String zero = "\"zero_optimization\": {\"stage\": " + stage + (withOptimizer ? ", \"offload_optimizer\": "
                + nvmeStore + (stage == 3 ? ", \"offload_param\": " + nvmeStore : "") : "") + "}";
        String optimizer = withOptimizer ? "\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 0.01}}, " : "";
        return "{\"train_batch_size\": 8, " + optimizer + "\"scheduler\": {\"type\": \"WarmupLR\", \"params\":"
                + " {\"warmup_min_lr\": 0, \"warmup_max_lr\": 0.001, \"warmup_num_steps\": 10}}, " + zero
                + ", \"csv_monitor\": {\"enabled\": true, \"output_path\": \"" + path(blocker.resolve("logs"))
                + "\", \"job_name\": \"job\"}}";
    }

    private static List<Path> contents(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(q -> !q.equals(p)).toList();
        }
    }

    @ParameterizedTest(name = "stage {0}, {1}")
    @org.junit.jupiter.params.provider.CsvSource({"1, false", "2, true", "3, true"})
    void aFailedBuildLeavesNoFilesAndNoSchedule(int stage, boolean nvmeOffload) throws IOException {
        MultiLayerNetwork net = TestNets.sgdMln(4, new Adam(1e-2));
        String conf = net.getLayerWiseConfigurations().toJson();
        float[] params = net.params().toFloatVector();
        DeepSpeedConfig cfg = DeepSpeedConfig.parse(json(stage, nvmeOffload));
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> ZeroTrainer.builder(net).config(cfg).worldSize(2).build());
        assertTrue(e.getMessage().contains("csv_monitor"), e.getMessage());
        assertEquals(List.of(), contents(dir.resolve("nvme")), "nvme_path must be left empty");
        assertEquals(conf, net.getLayerWiseConfigurations().toJson(), "no schedule may stay installed");
        assertArrayEquals(params, net.params().toFloatVector());
    }
}
