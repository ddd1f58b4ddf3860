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
        StepBatchIterator it = new StepBatchIterator(train, globalBatch, steps, seed);
        List<DataSet> out = new ArrayList<>(steps);
        while (it.hasNext()) {
            out.add(it.next());
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

    /**
     * Rank {@code rank}'s own micro-batches of the global batches, when ranks are processes: each global batch split
     * into {@code worldSize x accumulation} even parts (the first {@code n % parts} one example larger, as the
     * engine splits a global batch among threads), of which rank r takes parts {@code m * worldSize + r}.
     *
     * @param globals the global batches, in order
     * @param rank this rank
     * @param worldSize the ranks
     * @param accumulation {@code gradient_accumulation_steps}
     * @return this rank's micro-batches, in order
     */
    public static List<DataSet> forRank(List<DataSet> globals, int rank, int worldSize, int accumulation) {
        List<DataSet> out = new ArrayList<>();
        for (DataSet g : globals) {
            out.addAll(partsOf(g, rank, worldSize, accumulation));
        }
        return out;
    }

    /** Rank {@code rank}'s micro-batches of one global batch, as {@link #forRank} splits it. */
    static List<DataSet> partsOf(DataSet g, int rank, int worldSize, int accumulation) {
        int parts = worldSize * accumulation;
        int n = g.numExamples();
        if (n < parts) {
            throw new IllegalArgumentException("train_batch_size: a global batch of " + n + " examples cannot"
                    + " give " + parts + " ranks x accumulation steps a micro-batch each");
        }
        List<DataSet> out = new ArrayList<>(accumulation);
        int from = 0;
        for (int p = 0; p < parts; p++) {
            int size = n / parts + (p < n % parts ? 1 : 0);
            if (p % worldSize == rank) {
                out.add((DataSet) g.getRange(from, from + size));
            }
            from += size;
        }
        return out;
    }
}
