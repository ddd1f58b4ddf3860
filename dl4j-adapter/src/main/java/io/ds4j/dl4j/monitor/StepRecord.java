package io.ds4j.dl4j.monitor;

import java.util.OptionalDouble;

/**
 * What the engine reports after one optimizer step (taken or skipped), for {@link CsvMonitor#writeStep}.
 *
 * @param globalSamples samples consumed by all ranks so far, this step included (DeepSpeed's {@code global_samples})
 * @param trainLoss     the step's training loss (the mean over the batch, unscaled)
 * @param lr            the learning rate the step used (or would have used when skipped)
 * @param lossScale     the loss scale the step's gradients carried; empty without fp16 (DeepSpeed then writes none)
 * @param skipped       true when the step overflowed and was skipped
 */
public record StepRecord(long globalSamples, double trainLoss, double lr, OptionalDouble lossScale,
        boolean skipped) {
    /** Checks the counter and the optional's presence. */
    public StepRecord {
        if (globalSamples < 0) {
            throw new IllegalArgumentException("global samples must be >= 0, got " + globalSamples);
        }
        java.util.Objects.requireNonNull(lossScale, "lossScale (OptionalDouble.empty() without fp16)");
    }
}
