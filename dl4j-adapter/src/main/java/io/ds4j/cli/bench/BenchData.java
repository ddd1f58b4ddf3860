package io.ds4j.cli.bench;

import io.ds4j.cli.train.StepBatches;
import io.ds4j.cli.train.TrainJob;
import io.ds4j.data.OptDigits;
import java.util.List;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The same global batches, in the same order, for every contender and every round: the warm-up steps, then the
 * timed window's steps.
 *
 * @param train the training split (for the final loss)
 * @param warmup the warm-up batches
 * @param windows the timed windows' batches (one per round)
 * @param globalBatch examples per batch
 */
public record BenchData(DataSet train, List<DataSet> warmup, List<List<DataSet>> windows, int globalBatch) {

    /**
     * @param plan the plan
     * @return the batches of OptDigits' training split ({@link TrainJob#TRAIN_SIZE}, seed {@link TrainJob#SEED})
     */
    public static BenchData of(BenchPlan plan) {
        DataSet train = OptDigits.split(TrainJob.TRAIN_SIZE, TrainJob.SEED)[0];
        List<DataSet> all = StepBatches.of(train, plan.globalBatch(), plan.roundSteps(), TrainJob.SEED);
        List<List<DataSet>> windows = List.of(List.copyOf(all.subList(plan.warmupSteps(), all.size())));
        return new BenchData(train, List.copyOf(all.subList(0, plan.warmupSteps())), windows, plan.globalBatch());
    }

    /** Trains on a list of global batches. */
    @FunctionalInterface
    interface Fit {
        /** @param batches global batches, in order */
        void fit(List<DataSet> batches) throws Exception;
    }

    /**
     * Runs the warm-up, then times each window.
     *
     * @param fit how the contender trains
     * @return samples/s of each window
     * @throws Exception whatever the contender throws
     */
    double[] measure(Fit fit) throws Exception {
        if (!warmup.isEmpty()) {
            fit.fit(warmup);
        }
        double[] rates = new double[windows.size()];
        for (int w = 0; w < rates.length; w++) {
            long t0 = System.nanoTime();
            fit.fit(windows.get(w));
            double seconds = (System.nanoTime() - t0) / 1e9;
            rates[w] = windows.get(w).size() * (double) globalBatch / seconds;
        }
        return rates;
    }
}
