package io.ds4j.dl4j;

import io.ds4j.zero.comm.Collectives;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * The step source of a rank that is a process, as DeepSpeed feeds its ranks: this process's iterator yields this
 * rank's own micro-batches (of {@code train_micro_batch_size_per_gpu} examples), and every
 * {@code gradient_accumulation_steps} of them make its part of one step. Before each step the ranks all-reduce how
 * many micro-batches they hold and how many examples, so the step is weighted by the real global batch and the data
 * ends on every rank at the same step; ranks that run out at different steps are an error on every rank.
 */
final class ProcessFeed implements StepSource {
    private final Iterator<MultiDataSet> mine;
    private final Collectives comm;
    private final int accumulation;

    /**
     * @param mine this rank's micro-batches
     * @param comm this rank's collectives
     * @param accumulation {@code gradient_accumulation_steps}
     */
    ProcessFeed(Iterator<MultiDataSet> mine, Collectives comm, int accumulation) {
        this.mine = mine;
        this.comm = comm;
        this.accumulation = accumulation;
    }

    @Override
    public BatchFeed.Step get(int step) {
        List<MultiDataSet> micro = new ArrayList<>();
        long examples = 0;
        while (micro.size() < accumulation && mine.hasNext()) {
            MultiDataSet mb = mine.next();
            micro.add(mb);
            examples += mb.getFeatures(0).size(0);
        }
        int w = comm.worldSize();
        double[] total = comm.allReduceSum(new double[] {micro.size() == accumulation ? 1 : 0,
            micro.isEmpty() ? 0 : 1, examples});
        if (total[1] == 0) {
            return null;
        }
        if (total[0] != w) {
            throw new IllegalArgumentException("step " + (step + 1) + ": only " + (int) total[0] + " of " + w
                    + " ranks have gradient_accumulation_steps=" + accumulation + " micro-batches left (rank "
                    + comm.rank() + " has " + micro.size() + "); give every process the same number of"
                    + " micro-batches, a multiple of gradient_accumulation_steps");
        }
        // rank r's m-th micro-batch sits at m * worldSize + r, where Step.forRank looks for it
        MultiDataSet[] slots = new MultiDataSet[accumulation * w];
        for (int m = 0; m < micro.size(); m++) {
            slots[m * w + comm.rank()] = micro.get(m);
        }
        return new BatchFeed.Step(Arrays.asList(slots), (long) total[2]);
    }
}
