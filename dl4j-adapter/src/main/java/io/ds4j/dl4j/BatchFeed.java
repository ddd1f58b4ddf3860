package io.ds4j.dl4j;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Hands every rank the same split of the same global batch. The first rank to ask for step {@code s} pulls the next
 * global batch from the iterator and splits it; the others get the cached split. Ranks run in lockstep (every step
 * ends with a collective), so no rank asks for {@code s + 1} before every rank has taken step {@code s}.
 */
final class BatchFeed implements StepSource {

    /**
     * The micro-batches of one global batch.
     *
     * @param micro all micro-batches, index {@code m * worldSize + r} for rank r's m-th micro-step
     * @param examples examples in the global batch
     */
    record Step(List<MultiDataSet> micro, long examples) {
        List<MultiDataSet> forRank(int rank, int worldSize) {
            List<MultiDataSet> out = new ArrayList<>();
            for (int i = rank; i < micro.size(); i += worldSize) {
                out.add(micro.get(i));
            }
            return out;
        }
    }

    private final Iterator<MultiDataSet> source;
    private final int worldSize;
    private final GlobalBatch rule;
    private int current = -1;
    private Step cached;

    /**
     * @param source the global batches
     * @param worldSize the number of ranks
     * @param rule how a global batch is split (resolved from the first batch when the file says {@code "auto"})
     */
    BatchFeed(Iterator<MultiDataSet> source, int worldSize, GlobalBatch rule) {
        this.source = source;
        this.worldSize = worldSize;
        this.rule = rule;
    }

    /**
     * @param step the step index, asked in order 0, 1, 2, ... by every rank
     * @return the step's micro-batches, or null when the iterator is exhausted
     */
    @Override
    public synchronized Step get(int step) {
        if (step == current) {
            return cached;
        }
        if (step != current + 1) {
            throw new IllegalStateException("rank asked for step " + step + " while the feed is at " + current
                    + "; ranks are out of lockstep");
        }
        current = step;
        cached = null; // a batch that fails below ends the other ranks' pass, rather than repeating the last one
        if (source.hasNext()) {
            cached = next(step);
        }
        return cached;
    }

    private Step next(int step) {
        MultiDataSet batch = source.next();
        long n = batch.getFeatures(0).size(0);
        GlobalBatch.Split split = rule.resolve(n);
        long trainBatchSize = split.trainBatchSize();
        if (trainBatchSize > 0 && n != trainBatchSize && (n > trainBatchSize || source.hasNext())) {
            throw new IllegalArgumentException("train_batch_size: " + trainBatchSize + " but the iterator yields a"
                    + " batch of " + n + " examples; each iterator batch is one global batch, so set the"
                    + " iterator's batch size to train_batch_size (only the last batch may be smaller)");
        }
        int parts = worldSize * split.accumulation();
        if (n < parts) {
            throw new IllegalArgumentException("batch " + (step + 1) + " of the iterator has " + n + " example"
                    + (n == 1 ? "" : "s") + ", fewer than the " + parts + " micro-batches (world size " + worldSize
                    + " x gradient_accumulation_steps " + split.accumulation() + ") each global batch is split into,"
                    + " so a rank would get no example; " + (source.hasNext() ? "give every batch at least " + parts
                    + " examples" : "drop this short last batch (as DeepSpeed's drop_last=True does), or give it at"
                    + " least " + parts + " examples") + "; the network keeps the parameters of the steps before it");
        }
        return new Step(MicroBatches.split(batch, parts), n);
    }
}
