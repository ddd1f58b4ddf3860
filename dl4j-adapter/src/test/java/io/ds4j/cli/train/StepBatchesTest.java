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

    /**
     * The global batches written out here, independently of {@link StepBatchIterator} (which {@link StepBatches#of}
     * drains): pass p is a copy of the set shuffled with {@code seed + p}, cut into full batches from its start. The
     * batches ds4j train made up front before the iterator, so a run (and a resumed one) trains on the same data.
     */
    private static List<DataSet> reference(DataSet train, int batch, int steps, long seed) {
        List<DataSet> out = new java.util.ArrayList<>();
        for (long pass = 0; out.size() < steps; pass++) {
            DataSet copy = train.copy();
            copy.shuffle(seed + pass);
            for (int start = 0; start + batch <= train.numExamples() && out.size() < steps; start += batch) {
                out.add((DataSet) copy.getRange(start, start + batch));
            }
        }
        return out;
    }

    @Test
    void theGlobalBatchesArePassesShuffledWithSeedPlusPassCutIntoFullBatches() {
        for (int[] c : new int[][] {{4, 5, 7}, {6, 7, 3}, {3, 10, 0}, {10, 3, 11}}) {
            List<DataSet> expected = reference(indexed(), c[0], c[1], c[2]);
            List<DataSet> got = StepBatches.of(indexed(), c[0], c[1], c[2]);
            assertEquals(expected.size(), got.size());
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i).getFeatures(), got.get(i).getFeatures(), "batch " + i);
            }
        }
    }

    @Test
    void theIteratorMakesEachRanksMicroBatchesOfTheSameGlobalBatchesOneAtATime() {
        // 7 steps of 6 over 10 examples: 1 batch per pass, 7 passes
        List<DataSet> globals = reference(indexed(), 6, 7, 3);
        for (int[] c : new int[][] {{0, 2, 1}, {1, 2, 1}, {0, 3, 2}, {2, 3, 2}}) {
            List<DataSet> expected = StepBatches.forRank(globals, c[0], c[1], c[2]);
            StepBatchIterator it = new StepBatchIterator(indexed(), 6, 7, 3, c[0], c[1], c[2]);
            for (int round = 0; round < 2; round++) { // and the same again after a reset
                for (DataSet e : expected) {
                    assertEquals(true, it.hasNext());
                    DataSet got = it.next();
                    assertEquals(e.getFeatures(), got.getFeatures());
                    assertEquals(e.getLabels(), got.getLabels());
                }
                assertEquals(false, it.hasNext(), "exactly steps x accumulation micro-batches");
                it.reset();
            }
        }
    }

    @Test
    void aLongRunIsNotMadeBeforeItsFirstStep() {
        // a billion steps' batches would not fit in memory: they are made as they are asked for
        StepBatchIterator it = new StepBatchIterator(indexed(), 4, 1_000_000_000, 7);
        List<DataSet> first = reference(indexed(), 4, 3, 7);
        for (DataSet e : first) {
            assertEquals(e.getFeatures(), it.next().getFeatures());
        }
        assertEquals(true, it.hasNext());
    }

    @Test
    void aGlobalBatchTooSmallForTheRanksIsRefusedNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new StepBatchIterator(indexed(), 3, 1, 0, 0, 2, 2));
        assertEquals(true, e.getMessage().startsWith("train_batch_size: a global batch of 3 examples cannot give 4"),
                e.getMessage());
    }
}
