package io.ds4j.dl4j;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * For tests that drive a stage-3 trainer directly: a global batch split as the product splits it for every stage
 * ({@link MicroBatches} into {@code world x gas} micro-batches, rank r taking micro-batch {@code m * world + r} as its
 * m-th, {@link BatchFeed.Step#forRank}), so those tests train on the data {@code ZeroTrainer} would hand the ranks.
 */
public final class RankBatches {
    private RankBatches() {
    }

    /**
     * @param batch the global batch (features and labels; no masks)
     * @param world ranks
     * @param gas   {@code gradient_accumulation_steps}
     * @return each rank's micro-batches, index r for rank r
     */
    public static List<List<MultiDataSet>> perRank(DataSet batch, int world, int gas) {
        MultiDataSet global = new org.nd4j.linalg.dataset.MultiDataSet(batch.getFeatures(), batch.getLabels());
        BatchFeed.Step step = new BatchFeed.Step(MicroBatches.split(global, world * gas), batch.numExamples());
        List<List<MultiDataSet>> perRank = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            perRank.add(step.forRank(r, world));
        }
        return perRank;
    }
}
