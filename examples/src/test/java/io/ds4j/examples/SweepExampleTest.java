package io.ds4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.cli.sweep.SweepFile;
import io.ds4j.cli.sweep.SweepFileReader;
import io.ds4j.cli.train.TrainJob;
import io.ds4j.data.OptDigits;
import io.ds4j.sweep.BestModelSaver;
import io.ds4j.sweep.CandidateReport;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SweepExample on a smaller grid: 2 learning rates x 2 warm-ups x 3 stages, a few steps each. */
class SweepExampleTest {
    @Test
    void everyCombinationTrainsAndTheBestModelIsTheLowestTestLoss(@TempDir Path out) throws Exception {
        SweepExample.Result r = SweepExample.run(2, 10, out);
        assertEquals(12, r.completed(), r.candidates().toString());
        assertEquals(0, r.failed());
        Set<List<Object>> combos = new HashSet<>();
        for (CandidateReport c : r.candidates()) {
            assertTrue(c.completed(), c.toString());
            assertEquals(2, c.worldSize());
            combos.add(List.copyOf(c.varied().values()));
        }
        assertEquals(12, combos.size(), "each lr x warmup x stage once: " + combos);
        CandidateReport best = r.candidates().get(0);
        for (CandidateReport c : r.candidates()) {
            assertTrue(best.score() <= c.score(), "ranked best first: " + r.candidates());
        }
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(r.bestModel().toFile(), false);
        assertEquals(best.score(), restored.score(OptDigits.split(TrainJob.TRAIN_SIZE, TrainJob.SEED)[1]), 1e-6);
        DeepSpeedConfig config = DeepSpeedConfig.load(out.resolve(BestModelSaver.CONFIG));
        assertEquals(best.varied().get("zero_optimization.stage"), config.zero().stage());
    }

    @Test
    void theReadmesSweepFileDescribesTheSameSweep() {
        Path file = ExampleConfigs.path("sweep-base.json").getParent().getParent().resolve("sweep-digits.json");
        SweepFile sweep = SweepFileReader.read(file);
        assertEquals(List.of("optimizer.params.lr", "scheduler.params.warmup_num_steps", "zero_optimization.stage"),
                List.copyOf(sweep.vary().keySet()));
        assertEquals("log_uniform", sweep.vary().get("optimizer.params.lr").kind());
        assertEquals(List.of(1, 2, 3), sweep.vary().get("zero_optimization.stage").values());
        assertEquals(ExampleConfigs.path("sweep-base.json").toAbsolutePath().normalize(),
                sweep.baseConfig().toAbsolutePath().normalize());
        assertEquals(2, DeepSpeedConfig.parse(sweep.baseConfigJson()).zero().stage());
    }
}
