package io.ds4j.spark;

import java.util.List;
import java.util.NoSuchElementException;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.MultiDataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

/** A rank's micro-batches, in order, as a resettable iterator (one pass per epoch). */
final class ListMultiDataSets implements MultiDataSetIterator {
    private static final long serialVersionUID = 1L;
    private final List<MultiDataSet> batches;
    private int next;
    private MultiDataSetPreProcessor preProcessor;

    ListMultiDataSets(List<MultiDataSet> batches) {
        this.batches = batches;
    }

    @Override
    public boolean hasNext() {
        return next < batches.size();
    }

    @Override
    public MultiDataSet next() {
        if (!hasNext()) {
            throw new NoSuchElementException("no micro-batch after " + batches.size());
        }
        MultiDataSet m = batches.get(next++);
        if (preProcessor != null) {
            preProcessor.preProcess(m);
        }
        return m;
    }

    @Override
    public MultiDataSet next(int num) {
        throw new UnsupportedOperationException("the micro-batches are fixed by the RDD's elements");
    }

    @Override
    public void setPreProcessor(MultiDataSetPreProcessor p) {
        this.preProcessor = p;
    }

    @Override
    public MultiDataSetPreProcessor getPreProcessor() {
        return preProcessor;
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
    public void reset() {
        next = 0;
    }
}
