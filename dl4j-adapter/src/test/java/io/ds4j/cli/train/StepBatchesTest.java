package io.ds4j.cli.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Global batches across passes: full batches only, each pass a permutation of the set. */
class StepBatchesTest {

    /** 10 examples whose single feature is their index. */
    private static DataSet indexed() {
        return new DataSet(Nd4j.arange(10).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).reshape(10, 1),
                Nd4j.zeros(10, 1));
    }

    @Test
    void passesAreShuffledPermutationsWithTheRemainderDropped() {
        List<DataSet> b = StepBatches.of(indexed(), 4, 5, 7);
        assertEquals(5, b.size());
        for (DataSet d : b) {
            assertEquals(4, d.numExamples());
        }
        // a pass over 10 examples at batch 4 gives 2 batches (8 distinct examples, 2 dropped)
        for (int pass = 0; pass < 2; pass++) {
            Set<Integer> seen = new HashSet<>();
            for (int k = 0; k < 2; k++) {
                for (double v : b.get(2 * pass + k).getFeatures().toDoubleVector()) {
                    seen.add((int) v);
                }
            }
            assertEquals(8, seen.size());
        }
    }

    @Test
    void aBatchLargerThanTheSetIsRefusedNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StepBatches.of(indexed(), 11, 1, 0));
        assertEquals(true, e.getMessage().startsWith("train_batch_size: 11"));
    }
}
