package io.ds4j.zero.update;

import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.StepArgs;
import java.util.Objects;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * A DeepSpeed {@code optimizer} section as every driver runs it: the fused kernel with the section's resolved
 * hyper-parameters, its learning rate, and the {@code scheduler} section's learning rate when there is one. Built once
 * per trainer (in the adapter, from the configuration and the network, where the refusals live); the stage 0-2 shard
 * updates, the stage-3 update and the {@code csv_monitor} all read the learning rate of a step from {@link #rate}.
 *
 * <p>Iteration numbers are DL4J's (updates applied so far, from 0): DeepSpeed's optimizer step is
 * {@code iteration + 1}, and the schedule is an ND4J {@link ISchedule} of DL4J's iteration (the adapter's DeepSpeed
 * schedules answer {@code valueAt(i, epoch) = lr(i - 1)}, DeepSpeed's scheduler iteration).
 *
 * @param kernel   the fused optimizer kernel
 * @param lr       {@code optimizer.params.lr}, resolved
 * @param schedule the scheduler's learning rate by DL4J iteration, or null for the constant {@code lr}
 */
public record DeepSpeedOptimizer(FusedOptimizer kernel, double lr, ISchedule schedule) {

    /** Checks the kernel and the learning rate. */
    public DeepSpeedOptimizer {
        Objects.requireNonNull(kernel, "kernel");
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("optimizer.params.lr: " + lr + " is not allowed; use a finite value"
                    + " >= 0");
        }
    }

    /**
     * @param iteration DL4J's iteration count (updates applied so far)
     * @return the learning rate of the update at {@code iteration}
     */
    public double rate(int iteration) {
        return schedule == null ? lr : schedule.valueAt(iteration, 0);
    }

    /**
     * The kernel's inputs for the update at {@code iteration}.
     *
     * @param iteration      DL4J's iteration count; DeepSpeed's step is {@code iteration + 1}
     * @param gradMultiplier the factor the kernel applies to each gradient element as it reads it (unscale and clip)
     * @return the step arguments
     */
    public StepArgs args(int iteration, double gradMultiplier) {
        return new StepArgs(iteration + 1L, (float) rate(iteration), (float) gradMultiplier);
    }
}
