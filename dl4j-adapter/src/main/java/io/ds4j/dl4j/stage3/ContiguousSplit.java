package io.ds4j.dl4j.stage3;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The split {@link Stage3Trainer#fit(MultiDataSet)} uses on its own: rank r gets examples
 * {@code [r B/N, (r+1) B/N)}, cut into {@code gradient_accumulation_steps} consecutive micro-batches; the global
 * batch must divide evenly. ({@code ZeroTrainer} splits with its own rule and calls
 * {@link Stage3Trainer#fit(List, long, int, int)} directly.)
 */
final class ContiguousSplit {

    private ContiguousSplit() {
    }

    /** @return each rank's micro-batches, index r for rank r */
    static List<List<MultiDataSet>> perRank(MultiDataSet globalBatch, int world, int gas) {
        int b = (int) globalBatch.getFeatures(0).size(0);
        if (b % (world * gas) != 0) {
            throw new IllegalArgumentException("global batch size " + b + " is not divisible by world size " + world
                    + " x gradient_accumulation_steps " + gas + "; use a multiple of " + world * gas);
        }
        int micro = b / (world * gas);
        List<List<MultiDataSet>> perRank = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            List<MultiDataSet> mine = new ArrayList<>();
            for (int k = 0; k < gas; k++) {
                long from = ((long) r * gas + k) * micro;
                mine.add(new org.nd4j.linalg.dataset.MultiDataSet(slice(globalBatch.getFeatures(), from, micro),
                        slice(globalBatch.getLabels(), from, micro)));
            }
            perRank.add(mine);
        }
        return perRank;
    }

    private static INDArray[] slice(INDArray[] arrays, long from, int n) {
        INDArray[] out = new INDArray[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            out[i] = arrays[i].get(NDArrayIndex.interval(from, from + n)).dup();
        }
        return out;
    }
}
