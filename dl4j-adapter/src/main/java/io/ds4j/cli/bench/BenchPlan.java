package io.ds4j.cli.bench;

import java.nio.file.Path;

/**
 * How long each contender runs and where the results go.
 *
 * @param warmupSteps untimed steps first
 * @param windows timed windows (the median is reported)
 * @param stepsPerWindow steps per window
 * @param globalBatch examples per step (ParallelWrapper: half per worker)
 * @param outDir where the CSV, PNG and text table go
 */
public record BenchPlan(int warmupSteps, int windows, int stepsPerWindow, int globalBatch, Path outDir) {
    /** Checks the numbers. */
    public BenchPlan {
        if (warmupSteps < 0 || windows < 1 || stepsPerWindow < 1 || globalBatch < 2 || globalBatch % 2 != 0) {
            throw new IllegalArgumentException("bench plan: warmup " + warmupSteps + ", windows " + windows
                    + ", steps per window " + stepsPerWindow + ", global batch " + globalBatch + " is not allowed;"
                    + " use warmup >= 0, windows >= 1, steps >= 1 and an even global batch");
        }
    }

    /**
     * @param outDir where results go
     * @return the full plan: 30 warm-up steps, 7 windows of 40 steps, global batch 64
     */
    public static BenchPlan full(Path outDir) {
        return new BenchPlan(30, 7, 40, 64, outDir);
    }

    /**
     * @param outDir where results go
     * @return the smoke-test plan: 2 warm-up steps, 5 windows of 2 steps, global batch 64
     */
    public static BenchPlan quick(Path outDir) {
        return new BenchPlan(2, 5, 2, 64, outDir);
    }

    /** @return all the steps a contender runs */
    public int totalSteps() {
        return warmupSteps + windows * stepsPerWindow;
    }
}
