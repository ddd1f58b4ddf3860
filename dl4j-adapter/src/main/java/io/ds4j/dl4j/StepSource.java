package io.ds4j.dl4j;

/**
 * Where the ranks of a {@link ZeroTrainer} get their micro-batches step by step: {@link BatchFeed} splits one global
 * batch for every rank of this JVM; {@link ProcessFeed} takes this process's own micro-batches when ranks are
 * processes.
 */
interface StepSource {
    /**
     * @param step the step index, asked in order 0, 1, 2, ... by every rank
     * @return the step's micro-batches, or null when the data is exhausted
     */
    BatchFeed.Step get(int step);
}
