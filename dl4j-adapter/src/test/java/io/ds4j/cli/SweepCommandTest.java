package io.ds4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.train.TrainJob;
import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.data.OptDigits;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code ds4j sweep} end to end: Arbiter's grid over DeepSpeed config keys, each candidate trained by ZeroTrainer at
 * 2 ranks for a few steps; the ranked table, results.csv/.png, the best model restored in plain DL4J; a candidate
 * with an invalid config recorded as failed while the sweep goes on; sweep-file errors.
 */
class SweepCommandTest extends CliHarness {
    @TempDir
    Path dir;

    /** A sweep file over the embedded default config (train_batch_size 64, Adam, WarmupLR, ZeRO-2). */
    private Path sweep(String vary, String extra) throws IOException {
        Files.writeString(dir.resolve("base.json"), TrainJob.defaultConfig());
        Path f = dir.resolve("sweep.json");
        Files.writeString(f, "{\"base_config\": \"base.json\", \"world_size\": 2, \"steps\": 8, \"out\": \"res\","
                + " \"vary\": {" + vary + "}" + extra + "}");
        return f;
    }

    @Test
    void gridOfFourCandidatesAtTwoRanksRanksThemAndSavesTheBestAsPlainDl4j() throws IOException {
        // WarmupLR ramps to warmup_max_lr over 50 steps; 8 steps at 0.002 vs 0.05 peak give clearly different losses
        Path f = sweep("\"scheduler.params.warmup_max_lr\": {\"values\": [0.002, 0.05]},"
                + " \"zero_optimization.stage\": {\"values\": [1, 3]}", "");
        assertEquals(0, run("sweep", f.toString()), err.toString());
        String progress = err.toString(StandardCharsets.UTF_8);
        for (int i = 1; i <= 4; i++) {
            assertTrue(progress.contains("candidate " + i + "/4: "), progress);
        }
        List<String> csv = Files.readAllLines(dir.resolve("res/results.csv"));
        assertEquals("rank,candidate,scheduler.params.warmup_max_lr,zero_optimization.stage,world_size,"
                + "train_batch_size,status,score,seconds,error", csv.get(0));
        assertEquals(5, csv.size(), csv.toString());
        double[] scores = csv.subList(1, 5).stream().mapToDouble(l -> Double.parseDouble(l.split(",")[7]))
                .toArray();
        double[] sorted = scores.clone();
        Arrays.sort(sorted);
        assertTrue(Arrays.equals(sorted, scores), "ranked by test loss, lowest first: " + csv);
        for (int r = 1; r <= 4; r++) {
            String[] row = csv.get(r).split(",");
            assertEquals(String.valueOf(r), row[0]);
            assertEquals("2", row[4]);
            assertEquals("64", row[5]);
            assertEquals("completed", row[6]);
        }
        String[] best = csv.get(1).split(",");
        assertTrue(stdout().contains("best: candidate " + best[1] + ", test_loss "), stdout());

        // the saved model is plain DL4J: restored without ds4j's engine, it scores the test split as the table says
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(dir.resolve("res/best-model.zip")
                .toFile(), false);
        DataSet test = OptDigits.split(TrainJob.TRAIN_SIZE, TrainJob.SEED)[1];
        assertEquals(Double.parseDouble(best[7]), restored.score(test), 1e-6);
        DeepSpeedConfig config = DeepSpeedConfig.load(dir.resolve("res/best-config.json"));
        assertEquals(Integer.parseInt(best[3]), config.zero().stage());
        assertEquals(Double.parseDouble(best[2]),
                ((Number) config.scheduler().orElseThrow().params().get("warmup_max_lr")).doubleValue());

        BufferedImage png = ImageIO.read(dir.resolve("res/results.png").toFile());
        assertEquals(2 * 520, png.getWidth(), "one chart per varied key, side by side");
        assertTrue(Files.readString(dir.resolve("res/results.txt")).startsWith("rank  candidate"));
    }

    @Test
    void invalidConfigCandidateIsReportedFailedAndTheSweepGoesOn() throws IOException {
        Path f = sweep("\"zero_optimization.stage\": {\"values\": [7, 1]}", "");
        assertEquals(0, run("sweep", f.toString()), err.toString());
        String progress = err.toString(StandardCharsets.UTF_8);
        assertTrue(progress.contains("candidate 1/2: zero_optimization.stage=7 -> FAILED: zero_optimization.stage:"),
                progress);
        assertTrue(progress.contains("candidate 2/2: zero_optimization.stage=1 -> test_loss "), progress);
        List<String> csv = Files.readAllLines(dir.resolve("res/results.csv"));
        assertEquals(3, csv.size(), csv.toString());
        assertTrue(csv.get(1).startsWith("1,1,1,2,64,completed,"), csv.get(1));
        assertTrue(csv.get(2).startsWith(",0,7,2,,failed,,"), csv.get(2));
        assertTrue(csv.get(2).contains("zero_optimization.stage: ZeRO stage must be 0, 1, 2 or 3, got 7"), csv.get(2));
        assertTrue(stdout().contains("2 candidates, 1 completed, 1 failed"), stdout());
        assertTrue(stdout().contains("best: candidate 1, "), stdout());
    }

    @Test
    void randomSearchStopsAtTheCandidateBudget() throws IOException {
        Path f = sweep("\"optimizer.params.lr\": {\"log_uniform\": [1e-4, 1e-2]}",
                ", \"search\": {\"type\": \"random\", \"seed\": 3}, \"budget\": {\"max_candidates\": 2}");
        assertEquals(0, run("sweep", f.toString()), err.toString());
        List<String> csv = Files.readAllLines(dir.resolve("res/results.csv"));
        assertEquals(3, csv.size(), "Arbiter's MaxCandidatesCondition stops a random search: " + csv);
        for (String row : csv.subList(1, 3)) {
            double lr = Double.parseDouble(row.split(",")[2]);
            assertTrue(lr >= 1e-4 && lr <= 1e-2, row);
            assertTrue(row.contains(",completed,"), row);
        }
        assertTrue(stdout().contains("2 candidates, 2 completed, 0 failed"), stdout());
    }

    @Test
    void sweepFileErrorsNameTheKeyAndExitWithTwo() throws IOException {
        assertEquals(2, run("sweep", sweep("\"optimizer.params.lr\": {\"log_uniform\": [0, 1e-2]}", "")
                .toString()));
        assertTrue(stderr().contains("error: vary.optimizer.params.lr.log_uniform: [0,0.01] is not allowed; use"
                + " [min, max] with min < max and min > 0"), stderr());
        err.reset();
        assertEquals(2, run("sweep", sweep("\"optimizer.params.lr\": {\"values\": [1e-3]}",
                ", \"search\": {\"type\": \"random\"}").toString()));
        assertTrue(stderr().contains("error: budget: a random search never runs out of candidates"), stderr());
        err.reset();
        assertEquals(2, run("sweep", sweep("\"optimizer.params.lr\": {\"values\": [1e-3]}", ", \"budjet\": {}")
                .toString()));
        assertTrue(stderr().contains("error: budjet: is not a sweep file key; use one of [base_config, budget,"),
                stderr());
        err.reset();
        assertEquals(2, run("sweep", sweep("\"world_size\": {\"values\": [0, 2]}", "").toString()));
        assertTrue(stderr().contains("error: vary.world_size.values: world_size 0 is not allowed"), stderr());
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
