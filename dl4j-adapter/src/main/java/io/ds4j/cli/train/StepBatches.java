package io.ds4j.cli.train;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * Exactly {@code steps} global batches of {@code globalBatch} examples from a training set: pass after pass, each
 * pass shuffled with its own seed, the last incomplete batch of a pass dropped (every step sees a full global batch,
 * so the batch triad holds for every step).
 */
public final class StepBatches {
    private StepBatches() {
    }

    /**
     * @param train the training examples
     * @param globalBatch {@code train_batch_size}
     * @param steps how many batches to produce
     * @param seed the shuffling seed of the first pass (pass p uses {@code seed + p})
     * @return the batches, in training order
     * @throws IllegalArgumentException when the training set is smaller than one global batch
     */
    public static List<DataSet> of(DataSet train, int globalBatch, int steps, long seed) {
        int n = train.numExamples();
        if (globalBatch < 1 || globalBatch > n) {
            throw new IllegalArgumentException("train_batch_size: " + globalBatch + " does not fit the " + n
                    + " training examples; use a value in [1, " + n + "]");
        }
        List<DataSet> out = new ArrayList<>(steps);
        for (long pass = 0; out.size() < steps; pass++) {
            DataSet copy = train.copy();
            copy.shuffle(seed + pass);
            for (int start = 0; start + globalBatch <= n && out.size() < steps; start += globalBatch) {
                out.add((DataSet) copy.getRange(start, start + globalBatch));
            }
        }
        return out;
    }

    /**
     * @param batches the batches
     * @return an iterator yielding them once, in order (resettable)
     */
    public static DataSetIterator iterator(List<DataSet> batches) {
        return new ExistingDataSetIterator(batches);
    }
}
