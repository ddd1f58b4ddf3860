package io.ds4j.dl4j.checkpoint;

/**
 * Where training stands, besides the sharded state: what a resumed run needs to continue exactly.
 *
 * @param iteration    DL4J's iteration count (applied optimizer steps; the schedules and DeepSpeed's step follow it)
 * @param epoch        DL4J's epoch count
 * @param batchInEpoch global batches of the current epoch already trained (a resumed {@code fit} skips them)
 * @param skippedSteps steps skipped so far because their gradients overflowed
 * @param rngRoot      ND4J's random generator state of the thread that ran {@code fit} (root word)
 * @param rngNode      the same generator's node word
 */
public record TrainingPosition(int iteration, int epoch, long batchInEpoch, long skippedSteps, long rngRoot,
                               long rngNode) {
    /** Validates the counters. */
    public TrainingPosition {
        if (iteration < 0 || epoch < 0 || batchInEpoch < 0 || skippedSteps < 0) {
            throw new IllegalArgumentException("training position counters must be >= 0, got iteration " + iteration
                    + ", epoch " + epoch + ", batch " + batchInEpoch + ", skipped " + skippedSteps);
        }
    }
}
