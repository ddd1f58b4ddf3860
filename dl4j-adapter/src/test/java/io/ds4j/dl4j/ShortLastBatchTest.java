package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Issue 12, defect 1: a last batch with fewer examples than {@code world size x gradient_accumulation_steps} (3 where
 * a global batch is split into 2 x 2 = 4 micro-batches) cannot give every rank an example. At every stage the error
 * is an {@link IllegalArgumentException} naming that batch's size (not one advising a {@code train_batch_size} the
 * user already has), it reaches the caller as itself (defect 5: not wrapped as a rank failure), and the user's network
 * keeps what the steps before it trained, with an iteration count that matches. At stage 3 listeners see the
 * parameters of the step just taken. Golden: the same trainer fed only the full batches (bit-identical, as the same
 * computation in the same order).
 */
class ShortLastBatchTest {

    private static final String JSON = "{\"train_batch_size\": 8, \"gradient_accumulation_steps\": 2,"
            + " \"gradient_clipping\": 0, \"zero_optimization\": {\"stage\": %d}}";

    private static ZeroTrainer trainer(MultiLayerNetwork net, int stage) {
        return ZeroTrainer.builder(net).config(DeepSpeedConfig.parse(String.format(JSON, stage))).worldSize(2)
                .threadsPerRank(1).build();
    }

    @ParameterizedTest(name = "stage {0}")
    @ValueSource(ints = {0, 1, 2, 3})
    void aTooShortLastBatchNamesItsSizeAndLosesNothing(int stage) {
        List<DataSet> full = TestNets.denseData(3, 8, 21);
        MultiLayerNetwork golden = TestNets.sgdMln(4, new Adam(1e-2));
        try (ZeroTrainer t = trainer(golden, stage)) {
            t.fit(new ExistingDataSetIterator(full));
        }
        List<DataSet> withShort = new ArrayList<>(full);
        withShort.add(TestNets.denseData(1, 3, 22).get(0));
        MultiLayerNetwork net = TestNets.sgdMln(4, new Adam(1e-2));
        List<float[]> seen = new ArrayList<>();
        net.setListeners(new BaseTrainingListener() {
            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                seen.add(model.params().toFloatVector());
            }
        });
        float[] start = net.params().toFloatVector();
        try (ZeroTrainer t = trainer(net, stage)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> t.fit(new ExistingDataSetIterator(withShort)));
            String m = e.getMessage();
            assertTrue(m.contains("batch 4 of the iterator has 3 examples") && m.contains("4 micro-batches")
                    && m.contains("drop this short last batch"), m);
            assertFalse(m.contains("train_batch_size >="), m);
        }
        assertArrayEquals(golden.params().toFloatVector(), net.params().toFloatVector(),
                "the user's network must hold what the 3 full batches trained");
        assertEquals(3, net.getIterationCount());
        assertEquals(3, seen.size());
        assertFalse(java.util.Arrays.equals(start, seen.get(0)), "a listener must see the first step's weights");
        assertArrayEquals(golden.params().toFloatVector(), seen.get(2), "the last listener call sees the final weights");
    }
}
