package io.ds4j.dl4j;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Splits a global batch into {@code world size x gradient_accumulation_steps} micro-batches along the example
 * dimension. Micro-batch {@code m * worldSize + r} goes to rank {@code r} as its {@code m}-th micro-step. When the
 * batch does not divide evenly the first micro-batches get one example more; the engine scales by the real example
 * counts, so the step is still the mean over the global batch.
 */
final class MicroBatches {

    private MicroBatches() {
    }

    /**
     * @param batch the global batch
     * @param parts world size times accumulation steps
     * @return the micro-batches in order
     */
    static List<MultiDataSet> split(MultiDataSet batch, int parts) {
        long n = batch.getFeatures(0).size(0);
        if (n < parts) {
            throw new IllegalArgumentException("a global batch of " + n + " examples cannot be split into " + parts
                    + " micro-batches (world size x gradient_accumulation_steps); give it at least " + parts
                    + " examples");
        }
        List<MultiDataSet> out = new ArrayList<>(parts);
        long from = 0;
        for (int p = 0; p < parts; p++) {
            long size = n / parts + (p < n % parts ? 1 : 0);
            out.add(slice(batch, from, from + size));
            from += size;
        }
        return out;
    }

    private static MultiDataSet slice(MultiDataSet b, long from, long to) {
        return new org.nd4j.linalg.dataset.MultiDataSet(rows(b.getFeatures(), from, to), rows(b.getLabels(), from, to),
                rows(b.getFeaturesMaskArrays(), from, to), rows(b.getLabelsMaskArrays(), from, to));
    }

    private static INDArray[] rows(INDArray[] arrays, long from, long to) {
        if (arrays == null) {
            return null;
        }
        INDArray[] out = new INDArray[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            INDArray a = arrays[i];
            if (a == null) {
                continue;
            }
            INDArrayIndex[] idx = new INDArrayIndex[a.rank()];
            idx[0] = NDArrayIndex.interval(from, to);
            for (int d = 1; d < idx.length; d++) {
                idx[d] = NDArrayIndex.all();
            }
            out[i] = a.get(idx).dup();
        }
        return out;
    }
}
