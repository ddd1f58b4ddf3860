package io.ds4j.cli.bench;

import java.nio.file.Path;

/**
 * How long each contender runs and where the results go. The bench runs in <b>rounds</b>: in each round every
 * contender starts afresh from the same initial weights, runs the warm-up steps untimed and then one timed window.
 * Rounds interleave the contenders in time, so a burst of load on a shared machine hits all of them alike; the
 * median over the rounds' windows is reported.
 *
 * @param warmupSteps untimed steps at the start of each round
 * @param windows rounds, hence timed windows (the median is reported)
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
     * @return the full plan: 7 rounds of 20 warm-up steps and a window of 100 steps, global batch 64
     */
    public static BenchPlan full(Path outDir) {
        return new BenchPlan(20, 7, 100, 64, outDir);
    }

    /**
     * @param outDir where results go
     * @return the smoke-test plan: 5 rounds of 1 warm-up step and a window of 2 steps, global batch 64
     */
    public static BenchPlan quick(Path outDir) {
        return new BenchPlan(1, 5, 2, 64, outDir);
    }

    /** @return the steps a contender runs in one round */
    public int roundSteps() {
        return warmupSteps + stepsPerWindow;
    }
}
