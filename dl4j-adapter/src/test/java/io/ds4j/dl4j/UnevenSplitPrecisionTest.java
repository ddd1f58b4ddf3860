package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.precision.Bulk16;
import io.ds4j.precision.Bf16;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Issue 12, defect 10: a global batch that does not divide evenly into {@code world x gradient_accumulation_steps}
 * micro-batches (a short last batch: 7 examples where {@code train_batch_size} is 8) must give, in fp16 and bf16,
 * the gradient of the mean loss over the 7 examples, each example weighted alike, as fp32 does; not the mean of the
 * micro-batch means (4 and 3 examples on 2 ranks).
 *
 * <p>Golden: the same step in fp32, whose example weighting stages 0-3 already prove against plain DL4J
 * ({@code ZeroTrainerParityTest}, {@code Stage3ParityTest}). Both runs start from parameters representable in bf16
 * and fp16, so the compute copies are equal and the only differences are the 16-bit roundings of the stored
 * gradient (relative 2^-8 for bf16, 2^-11 for fp16, on each of at most 4 micro-batches, plus the
 * {@code communication_data_type} rounding). With SGD the update is {@code -lr x gradient}, so the per-element
 * tolerance is 3% of the largest fp32 update (bf16: 4 x 2^-8 = 1.6% worst case, fp16 far less). Averaging the
 * means instead is off by {@code |mean_1 - mean_2| / 14} per element for 4+3 examples, measured at over 10% of the
 * largest update on this data.
 */
class UnevenSplitPrecisionTest {

    private static final double LR = 0.5;

    private static MultiLayerNetwork net() {
        MultiLayerNetwork net = TestNets.sgdMln(11, new Sgd(LR));
        Bulk16.BF16.roundInPlace(net.params()); // bf16 values with fp16's exponent range: exact in both formats
        return net;
    }

    private static float[] update(String precision, int stage, int accumulation) {
        return update(precision, stage, accumulation, EnginePrecision.Compute.FLOAT);
    }

    private static float[] update(String precision, int stage, int accumulation, EnginePrecision.Compute compute) {
        MultiLayerNetwork net = net();
        float[] before = net.params().toFloatVector();
        String json = "{\"train_batch_size\": 8, \"gradient_accumulation_steps\": " + accumulation
                + ", \"gradient_clipping\": 0, \"zero_optimization\": {\"stage\": " + stage + "}" + precision + "}";
        List<DataSet> shortLast = TestNets.denseData(1, 7, 5);
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(json)).worldSize(2)
                .threadsPerRank(1).compute(compute).build()) {
            t.fit(new ExistingDataSetIterator(shortLast));
            assertEquals(0, t.skippedSteps(), "no overflow expected");
        }
        float[] after = net.params().toFloatVector();
        for (int i = 0; i < after.length; i++) {
            after[i] -= before[i];
        }
        return after;
    }

    @ParameterizedTest(name = "{0} at stage {1}, gradient_accumulation_steps {2}")
    @CsvSource({"fp16, 0, 1", "fp16, 1, 1", "fp16, 2, 1", "fp16, 3, 1", "bf16, 2, 1", "bf16, 3, 1",
        "fp16, 2, 2", "fp16, 3, 2", "bf16, 0, 2", "bf16, 3, 2"})
    void anUnevenSplitWeightsExamplesAsFp32Does(String format, int stage, int accumulation) {
        compare(format, stage, accumulation, EnginePrecision.Compute.FLOAT);
    }

    /** HALF compute (the CUDA default for fp16; forced here): the HALF network's stored gradient is weighted alike. */
    @ParameterizedTest(name = "fp16 HALF compute at stage {0}")
    @CsvSource({"2", "3"})
    void halfComputeWeightsExamplesToo(int stage) {
        compare("fp16", stage, 2, EnginePrecision.Compute.HALF);
    }

    private static void compare(String format, int stage, int accumulation, EnginePrecision.Compute compute) {
        float[] fp32 = update("", stage, accumulation);
        float[] mixed = update(", \"" + format + "\": {\"enabled\": true" + (format.equals("fp16")
                ? ", \"initial_scale_power\": 8}" : "}"), stage, accumulation, compute); // 2^8: finite fp16
        double largest = 0;
        for (float v : fp32) {
            largest = Math.max(largest, Math.abs(v));
        }
        assertTrue(largest > 1e-3, "the step must move the parameters: " + largest);
        double worst = 0;
        for (int i = 0; i < fp32.length; i++) {
            worst = Math.max(worst, Math.abs(mixed[i] - fp32[i]));
        }
        System.out.printf("uneven split %s %s stage %d gas %d: worst |mixed - fp32| = %.3g of largest update %.3g%n",
                format, compute, stage, accumulation, worst, largest);
        assertTrue(worst <= 0.03 * largest, format + " update differs from fp32 by " + worst + " (largest update "
                + largest + "): micro-batch means averaged instead of examples weighted?");
    }
}
