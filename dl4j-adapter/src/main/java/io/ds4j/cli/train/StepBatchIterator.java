package io.ds4j.cli.train;

import java.util.ArrayDeque;
import java.util.List;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * {@link StepBatches}' global batches (or one rank's micro-batches of them, {@link StepBatches#forRank}), made as
 * training asks for them: pass after pass, each a copy of the set shuffled with seed {@code seed + pass}, full global
 * batches only. So a long run ({@code ds4j train --steps 100000}) holds one pass's copy and the batches not yet
 * consumed, not every batch of the run made before the first step (for 100,000 steps of 64 digits that was 6.4M
 * examples and minutes of shuffling). Resettable; the same sequence after a reset.
 */
public final class StepBatchIterator implements DataSetIterator {
    private static final long serialVersionUID = 1L;
    private final DataSet train;
    private final int globalBatch;
    private final int steps;
    private final long seed;
    private final int rank;
    private final int worldSize;
    private final int accumulation;
    private final ArrayDeque<DataSet> pending = new ArrayDeque<>();
    private transient DataSet pass;
    private long passIndex;
    private int start;
    private int made;
    private DataSetPreProcessor preProcessor;

    /** The global batches of {@link StepBatches#of}, one at a time. */
    public StepBatchIterator(DataSet train, int globalBatch, int steps, long seed) {
        this(train, globalBatch, steps, seed, 0, 1, 1);
    }

    /**
     * Rank {@code rank}'s micro-batches of {@link StepBatches#of}'s global batches, as {@link StepBatches#forRank}
     * splits them: {@code accumulation} per global batch.
     */
    public StepBatchIterator(DataSet train, int globalBatch, int steps, long seed, int rank, int worldSize,
            int accumulation) {
        int n = train.numExamples();
        if (globalBatch < 1 || globalBatch > n) {
            throw new IllegalArgumentException("train_batch_size: " + globalBatch + " does not fit the " + n
                    + " training examples; use a value in [1, " + n + "]");
        }
        if (globalBatch < worldSize * accumulation) {
            throw new IllegalArgumentException("train_batch_size: a global batch of " + globalBatch + " examples"
                    + " cannot give " + worldSize * accumulation + " ranks x accumulation steps a micro-batch each");
        }
        this.train = train;
        this.globalBatch = globalBatch;
        this.steps = steps;
        this.seed = seed;
        this.rank = rank;
        this.worldSize = worldSize;
        this.accumulation = accumulation;
        reset();
    }

    @Override
    public boolean hasNext() {
        return !pending.isEmpty() || made < steps;
    }

    @Override
    public DataSet next() {
        if (pending.isEmpty()) {
            if (made >= steps) {
                throw new java.util.NoSuchElementException("all " + steps + " steps' batches were taken");
            }
            if (pass == null || start + globalBatch > train.numExamples()) {
                pass = train.copy();
                pass.shuffle(seed + passIndex++);
                start = 0;
            }
            DataSet global = (DataSet) pass.getRange(start, start + globalBatch);
            start += globalBatch;
            made++;
            pending.addAll(worldSize == 1 && accumulation == 1 ? List.of(global)
                    : StepBatches.partsOf(global, rank, worldSize, accumulation));
        }
        DataSet d = pending.poll();
        if (preProcessor != null) {
            preProcessor.preProcess(d);
        }
        return d;
    }

    @Override
    public DataSet next(int num) {
        throw new UnsupportedOperationException("the batches are the configuration's; call next()");
    }

    @Override
    public void reset() {
        pending.clear();
        pass = null;
        passIndex = 0;
        start = 0;
        made = 0;
    }

    @Override
    public int inputColumns() {
        return (int) train.getFeatures().size(1);
    }

    @Override
    public int totalOutcomes() {
        return (int) train.getLabels().size(1);
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    @Override
    public boolean asyncSupported() {
        return false;
    }

    @Override
    public int batch() {
        return globalBatch / (worldSize * accumulation);
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        this.preProcessor = preProcessor;
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return preProcessor;
    }

    @Override
    public List<String> getLabels() {
        return null;
    }
}
