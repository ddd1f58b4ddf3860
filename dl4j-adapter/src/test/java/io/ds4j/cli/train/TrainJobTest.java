package io.ds4j.cli.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.data.OptDigits;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;

/** {@code ds4j train}'s job end to end with the default configuration, few steps, two ranks. */
class TrainJobTest {
    private static final int STEPS = 60;
    @TempDir
    static Path dir;
    private static TrainSummary summary;
    private static String progress;

    @BeforeAll
    static void train() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            summary = TrainJob.run(new TrainJob.Request(TrainJob.defaultConfig(), "default", 2, STEPS,
                    dir.resolve("m.zip")), ps, false);
        }
        progress = err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void firstLossIsThatOfAnUntrainedTenClassSoftmax() {
        // Xavier-initialised logits are small, so the softmax is near uniform: cross-entropy ~ ln(10) = 2.3026.
        assertEquals(Math.log(10), summary.firstLoss(), 0.3);
        assertEquals(STEPS, summary.losses().size());
    }

    @Test
    void lossFalls() {
        assertTrue(summary.lastLoss() < 0.5 * summary.firstLoss(),
                () -> "loss " + summary.firstLoss() + " -> " + summary.lastLoss());
        assertEquals(0, summary.skippedSteps());
    }

    @Test
    void savedZipRestoresInPlainDl4jAndEvaluatesAsTheJobReported() throws Exception {
        ComputationGraph restored = ComputationGraph.load(dir.resolve("m.zip").toFile(), false);
        DataSet test = OptDigits.split(TrainJob.TRAIN_SIZE, TrainJob.SEED)[1];
        Evaluation eval = restored.evaluate(new ExistingDataSetIterator(List.of(test)));
        assertEquals(summary.testAccuracy(), eval.accuracy(), 1e-12);
        assertTrue(eval.accuracy() > 0.8, "test accuracy " + eval.accuracy());
        assertEquals(360, eval.getNumRowCounter(), 0.0);
    }

    @Test
    void everyRankHasALedgerThatHoldsItsShard() {
        assertEquals(2, summary.ledgers().size());
        // stage 2: each rank holds the full fp32 parameters (4 bytes x 50826) plus at least its shard's state
        long params = 4L * (64 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
        for (var l : summary.ledgers()) {
            assertTrue(ProgressListener.total(l) > params, () -> "ledger " + l.toTable());
        }
    }

    @Test
    void progressShowsStepsLrAndPrintsTheSummaryLines() {
        assertTrue(progress.contains("ZeRO stage 2"), progress);
        assertTrue(progress.contains("step 60/60"), progress);
        assertTrue(progress.contains("samples/s"), progress);
        assertTrue(progress.contains(" r0 ") && progress.contains(" r1 "), progress);
        String text = summary.format();
        assertTrue(text.contains("test accuracy") && text.contains("ledger rank 1"), text);
    }

    /**
     * A Hugging Face style configuration, every batch, optimizer and scheduler value {@code "auto"} (as in the shared
     * configs hf-ds_config_zero3.json and acc-zero_stage3_offload_config.json): the batch becomes 32 per rank
     * (train_batch_size 64 on 2 ranks), the optimizer takes the network's Adam values with weight decay 0, the
     * scheduler warms up from 0 to that lr and decays to 0 over exactly the run's --steps.
     */
    @Test
    void huggingFaceAutoConfigTrainsWithValuesFromTheRun(@TempDir Path out) throws Exception {
        String json = "{\"train_batch_size\": \"auto\", \"train_micro_batch_size_per_gpu\": \"auto\","
                + " \"gradient_accumulation_steps\": \"auto\", \"optimizer\": {\"type\": \"AdamW\", \"params\":"
                + " {\"lr\": \"auto\", \"betas\": \"auto\", \"eps\": \"auto\", \"weight_decay\": \"auto\"}},"
                + " \"scheduler\": {\"type\": \"WarmupDecayLR\", \"params\": {\"warmup_min_lr\": \"auto\","
                + " \"warmup_max_lr\": \"auto\", \"warmup_num_steps\": \"auto\", \"total_num_steps\": \"auto\"}},"
                + " \"zero_optimization\": {\"stage\": 2}}";
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        TrainSummary s;
        try (PrintStream ps = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            s = TrainJob.run(new TrainJob.Request(json, "hf", 2, 20, out.resolve("hf.zip")), ps, false);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("train_batch_size 64"), text);
        assertEquals(20, s.losses().size());
        assertTrue(s.lastLoss() < s.firstLoss(), "trains: " + s.losses());
        // WarmupDecayLR, max lr = the network's Adam lr 1e-3, warmup max(2, 1) = 2 steps, decaying to 0 at step 20:
        // update k uses the schedule's iteration k - 2 (site/docs/schedules.md), so update 4 is at 1e-3 and update 20
        // at 1e-3 * (20 - 18) / (20 - 2) = 1.111e-4
        assertTrue(text.matches("(?s).*step 4/20 loss \\S+ lr 1\\.000e-03.*"), text);
        assertTrue(text.matches("(?s).*step 20/20 loss \\S+ lr 1\\.111e-04.*"), text);
    }
}
