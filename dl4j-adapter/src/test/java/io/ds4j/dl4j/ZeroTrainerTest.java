package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.zero.comm.Ranks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.MultiDataSetIteratorAdapter;

/** ZeroTrainer's contract besides parity: listeners, epochs, multi-dataset input, failures, configuration. */
class ZeroTrainerTest {

    /** Records what DL4J listeners see. */
    static final class Recorder extends BaseTrainingListener {
        final List<Integer> iterations = new ArrayList<>();
        final List<Double> scores = new ArrayList<>();
        int epochEnds;

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            iterations.add(iteration);
            scores.add(model.score());
        }

        @Override
        public void onEpochEnd(Model model) {
            epochEnds++;
        }
    }

    /**
     * Listeners on the user's network see one iteration per optimizer step, numbered like DL4J's, with the score of
     * the whole global batch: equal to what plain fit() reports on the same batch (fp32, relative 1e-5: the same
     * per-example losses summed in a different order).
     */
    @Test
    void listenersSeeOneIterationPerStepWithTheGlobalScore() {
        List<DataSet> data = TestNets.denseData(6, 24, 3);
        MultiLayerNetwork reference = TestNets.denseMln(2);
        Recorder want = new Recorder();
        reference.setListeners(want);
        reference.fit(new ExistingDataSetIterator(data));
        MultiLayerNetwork net = TestNets.denseMln(2);
        Recorder got = new Recorder();
        net.setListeners(got);
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(EngineOptions.defaults().withStage(2)
                .withAccumulation(2)).worldSize(3).build()) {
            t.fit(new ExistingDataSetIterator(data));
        }
        assertEquals(want.iterations, got.iterations);
        for (int i = 0; i < want.scores.size(); i++) {
            assertEquals(want.scores.get(i), got.scores.get(i), 1e-5 * Math.abs(want.scores.get(i)), "step " + i);
        }
        assertEquals(1, got.epochEnds);
        assertEquals(1, net.getEpochCount());
    }

    @Test
    void severalEpochsMatchPlainFitOverTheSameEpochs() {
        List<DataSet> data = TestNets.denseData(4, 12, 4);
        MultiLayerNetwork reference = TestNets.denseMln(6);
        reference.fit(new ExistingDataSetIterator(data), 3);
        MultiLayerNetwork net = TestNets.denseMln(6);
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(EngineOptions.defaults().withStage(1)).worldSize(2)
                .build()) {
            t.fit(new ExistingDataSetIterator(data), 3);
        }
        assertEquals(12, net.getIterationCount());
        assertEquals(3, net.getEpochCount());
        assertClose(reference.params().toFloatVector(), net.params().toFloatVector());
    }

    /** A ComputationGraph fed through a MultiDataSetIterator trains like its plain fit(MultiDataSetIterator). */
    @Test
    void multiDataSetIteratorOnAGraph() {
        List<DataSet> data = TestNets.sequenceData(5, 12, 8);
        ComputationGraph reference = TestNets.lstmGraph(4);
        reference.fit(new MultiDataSetIteratorAdapter(new ExistingDataSetIterator(data)));
        ComputationGraph net = TestNets.lstmGraph(4);
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(EngineOptions.defaults().withStage(2)).worldSize(3)
                .build()) {
            t.fit(new MultiDataSetIteratorAdapter(new ExistingDataSetIterator(data)));
        }
        assertClose(reference.params().toFloatVector(), net.params().toFloatVector());
    }

    /** A rank that throws stops every rank promptly; the caller learns which rank and why. */
    @Test
    void aFailingRankStopsAllRanksWithRankAndCause() {
        MultiLayerNetwork net = TestNets.denseMln(1);
        net.setListeners(new BaseTrainingListener() {
            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                if (iteration == 2) {
                    throw new IllegalStateException("listener exploded at iteration 2");
                }
            }
        });
        Ranks.RankFailedException e = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (ZeroTrainer t = ZeroTrainer.builder(net).config(EngineOptions.defaults().withStage(2)).worldSize(3)
                    .build()) {
                return assertThrows(Ranks.RankFailedException.class,
                        () -> t.fit(new ExistingDataSetIterator(TestNets.denseData(6, 6, 1))));
            }
        });
        assertEquals(0, e.rank());
        assertTrue(e.getCause().getMessage().contains("listener exploded"), e.getCause().toString());
        assertTrue(e.getMessage().contains("rank 0"), e.getMessage());
    }

    /** An input error raised inside a rank reaches the caller as itself, naming the batch's size (issue 12). */
    @Test
    void aGlobalBatchTooSmallToSplitNamesItsSize() {
        try (ZeroTrainer t = ZeroTrainer.builder(TestNets.denseMln(1)).config(EngineOptions.defaults()
                .withAccumulation(4)).worldSize(2).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> t.fit(new ExistingDataSetIterator(TestNets.denseData(1, 6, 1))));
            assertTrue(e.getMessage().contains("has 6 examples, fewer than the 8 micro-batches"), e.getMessage());
        }
    }

    /** Each iterator batch is one global batch: one that contradicts train_batch_size is refused with both values. */
    @Test
    void iteratorBatchMustBeTrainBatchSize() {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 12, \"gradient_accumulation_steps\": 2,"
                + " \"gradient_clipping\": 0}");
        try (ZeroTrainer t = ZeroTrainer.builder(TestNets.denseMln(1)).config(cfg).worldSize(2).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> t.fit(new ExistingDataSetIterator(TestNets.denseData(3, 8, 1))));
            String m = e.getMessage();
            assertTrue(m.contains("train_batch_size: 12") && m.contains("batch of 8"), m);
        }
    }

    /** fp16 and bf16 run in ZeroTrainer (MixedPrecision*Test) and in DL4J's own fit() (DeepSpeedMixedPrecisionTest). */
    @Test
    void mixedPrecisionSectionsAreTakenByBothEntryPoints() {
        DeepSpeedConfig withFp16 = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"fp16\": {\"enabled\": true}}");
        try (DeepSpeedEngine e = DeepSpeed.initialize(TestNets.denseMln(1), withFp16)) {
            assertEquals(65536.0, e.lossScale().value(), "DeepSpeed's initial_scale_power default 16: 2^16");
        }
        DeepSpeedConfig withBf16 = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"bf16\": {\"enabled\": true}}");
        try (DeepSpeedEngine e = DeepSpeed.initialize(TestNets.denseMln(1), withBf16)) {
            assertEquals(1.0, e.lossScale().value(), "bf16 has no loss scale");
        }
        try (ZeroTrainer t = ZeroTrainer.builder(TestNets.denseMln(1)).config(withBf16).worldSize(2).build()) {
            assertEquals("bf16", t.precision().policy().parameters().key());
        }
    }

    /** The DeepSpeed file's keys reach the engine: stage, clipping, accumulation, prescale and predivide. */
    @Test
    void optionsComeFromTheDeepSpeedFile() {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 24, \"gradient_accumulation_steps\": 4,"
                + " \"gradient_clipping\": 0.5, \"prescale_gradients\": true,"
                + " \"zero_optimization\": {\"stage\": 2, \"reduce_bucket_size\": 64}}");
        EngineOptions o = EngineOptions.from(cfg, 3);
        assertEquals(2, o.zero().stage());
        assertEquals(64, o.zero().buckets().reduceBucketSize());
        assertEquals(0.5, o.clipping().maxNorm());
        assertEquals(4, o.gradientAccumulationSteps());
        assertTrue(o.scaling().prescaleGradients());
    }

    static void assertClose(float[] want, float[] got) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            // same fp32 tolerance and reasoning as ZeroTrainerParityTest
            assertEquals(want[i], got[i], 1e-6 + 1e-5 * Math.abs(want[i]), "parameter " + i);
        }
    }
}
