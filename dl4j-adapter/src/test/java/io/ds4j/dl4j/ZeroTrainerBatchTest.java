package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.config.ResolvedBatch;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * {@link ZeroTrainer}'s batch rule with DeepSpeed's definitions: each iterator batch is one global batch of
 * {@code train_batch_size}, split into {@code world x gradient_accumulation_steps} micro-batches of
 * {@code train_micro_batch_size_per_gpu}; {@code "auto"} is resolved from the first global batch. Expected triads are
 * DeepSpeed's arithmetic done here by hand ({@code train = micro * gas * world}, gas 1 when nothing fixes it).
 */
class ZeroTrainerBatchTest {

    private static ZeroTrainer trainer(MultiLayerNetwork net, String batchKeys, int world) {
        String json = "{" + batchKeys + ", \"gradient_clipping\": 0, \"zero_optimization\": {\"stage\": 2}}";
        return ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(world).build();
    }

    @ParameterizedTest(name = "{0} on W={1}, iterator batch {2} -> train {3}, micro {4}, gas {5}")
    @CsvSource(delimiter = ';', value = {
        // train auto: it is the iterator's batch (24); micro 3 fixed, so gas = 24 / (3 * 2) = 4
        "\"train_batch_size\": \"auto\", \"train_micro_batch_size_per_gpu\": 3; 2; 24; 24; 3; 4",
        // train and micro auto, gas 2: micro = 24 / (2 * 3) = 4
        "\"train_batch_size\": \"auto\", \"train_micro_batch_size_per_gpu\": \"auto\", "
                + "\"gradient_accumulation_steps\": 2; 3; 24; 24; 4; 2",
        // everything auto: train 12, gas 1, micro = 12 / 2 = 6
        "\"train_batch_size\": \"auto\", \"train_micro_batch_size_per_gpu\": \"auto\", "
                + "\"gradient_accumulation_steps\": \"auto\"; 2; 12; 12; 6; 1",
        // train fixed, micro auto: gas 1 when nothing else fixes it, micro = 12 / 3 = 4
        "\"train_batch_size\": 12, \"train_micro_batch_size_per_gpu\": \"auto\"; 3; 12; 12; 4; 1"})
    void autoIsResolvedFromTheFirstGlobalBatch(String keys, int world, int batch, long train, long micro, long gas) {
        try (ZeroTrainer t = trainer(TestNets.sgdMln(3, new Adam(1e-2)), keys, world)) {
            assertTrue(t.batchSizes().isEmpty(), "nothing resolved before the first batch");
            t.fit(new ExistingDataSetIterator(TestNets.denseData(2, batch, 5)));
            ResolvedBatch r = t.batchSizes().orElseThrow();
            assertEquals(train, r.trainBatchSize().getAsLong(), "train_batch_size");
            assertEquals(micro, r.trainMicroBatchSizePerGpu().getAsLong(), "train_micro_batch_size_per_gpu");
            assertEquals(gas, r.gradientAccumulationSteps().getAsLong(), "gradient_accumulation_steps");
        }
    }

    /**
     * The resolved accumulation is the one the step uses: the same training as programmatic options with that
     * accumulation, bit for bit (same split, same reduction order).
     */
    @Test
    void theResolvedSplitIsTheOneTrained() {
        List<DataSet> data = TestNets.denseData(4, 24, 6);
        MultiLayerNetwork fromFile = TestNets.sgdMln(3, new Adam(1e-2));
        try (ZeroTrainer t = trainer(fromFile, "\"train_batch_size\": \"auto\", \"train_micro_batch_size_per_gpu\": 3",
                2)) {
            t.fit(new ExistingDataSetIterator(data));
        }
        MultiLayerNetwork fromOptions = TestNets.sgdMln(3, new Adam(1e-2));
        try (ZeroTrainer t = ZeroTrainer.builder(fromOptions).config(EngineOptions.defaults().withStage(2)
                .withAccumulation(4)).worldSize(2).build()) {
            t.fit(new ExistingDataSetIterator(data));
        }
        assertArrayEquals(fromOptions.params().toFloatVector(), fromFile.params().toFloatVector());
    }

    /**
     * A global batch that DeepSpeed's rule cannot split is refused naming train_batch_size and the values; raised
     * inside a rank, it reaches the caller as the configuration error itself (issue 12, defect 5).
     */
    @Test
    void aGlobalBatchThatCannotBeSplitNamesTheKey() {
        try (ZeroTrainer t = trainer(TestNets.sgdMln(3, new Adam(1e-2)),
                "\"train_batch_size\": \"auto\", \"train_micro_batch_size_per_gpu\": 5", 2)) {
            DeepSpeedConfigException cause = assertThrows(DeepSpeedConfigException.class,
                    () -> t.fit(new ExistingDataSetIterator(TestNets.denseData(2, 12, 5))));
            assertTrue(cause.getMessage().contains("train_batch_size") && cause.getMessage().contains("12"),
                    cause.getMessage());
        }
    }

    /** After "auto" took the first batch's size, a later full batch of another size is refused with both values. */
    @Test
    void laterBatchesMustHaveTheResolvedSize() {
        try (ZeroTrainer t = trainer(TestNets.sgdMln(3, new Adam(1e-2)), "\"train_batch_size\": \"auto\","
                + " \"train_micro_batch_size_per_gpu\": \"auto\"", 2)) {
            t.fit(new ExistingDataSetIterator(TestNets.denseData(1, 12, 5)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> t.fit(new ExistingDataSetIterator(TestNets.denseData(2, 16, 5))));
            String m = e.getMessage();
            assertTrue(m.contains("train_batch_size: 12") && m.contains("batch of 16"), m);
        }
    }
}
