package io.ds4j.dl4j;

import io.ds4j.dl4j.monitor.CsvMonitor;
import io.ds4j.dl4j.monitor.StepRecord;
import io.ds4j.precision.LossScale;
import io.ds4j.zero.update.DeepSpeedOptimizer;
import java.util.List;
import java.util.OptionalDouble;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * The {@code csv_monitor} of a {@link ZeroTrainer}: after every optimizer step, taken or skipped, rank 0 writes the
 * step's loss, learning rate, loss scale (fp16 only, as DeepSpeed) and skipped flag, indexed by the samples consumed
 * so far (DeepSpeed's {@code global_samples}). A disabled section writes nothing and costs nothing.
 */
final class TrainingMonitor implements AutoCloseable {

    /** The learning rate of a step, given DL4J's iteration and epoch counts. */
    private interface Rate {
        double at(int iteration, int epoch);
    }

    private final CsvMonitor csv;
    private final boolean fp16;
    private final Rate rate;
    private long samples;

    private TrainingMonitor(CsvMonitor csv, boolean fp16, Rate rate) {
        this.csv = csv;
        this.fp16 = fp16;
        this.rate = rate;
    }

    /**
     * @param precision the engine's precision (holds the {@code csv_monitor} section)
     * @param options the engine's options (the learning rate's source)
     * @param net the user's network
     * @return the monitor of rank 0
     */
    static TrainingMonitor open(EnginePrecision precision, EngineOptions options, Model net) {
        CsvMonitor csv = CsvMonitor.open(precision.monitor(), 0);
        if (!csv.enabled()) {
            return new TrainingMonitor(csv, false, (i, e) -> Double.NaN);
        }
        return new TrainingMonitor(csv, precision.fp16().enabled(), rate(options, net));
    }

    private static Rate rate(EngineOptions options, Model net) {
        java.util.Optional<DeepSpeedOptimizer> optimizer = DeepSpeedOptimizers.of(options, net);
        if (optimizer.isPresent()) {
            return (i, e) -> optimizer.get().rate(i);
        }
        List<FlatLayout.Block> blocks = FlatLayout.of(net).blocks();
        IUpdater first = blocks.isEmpty() ? null : blocks.get(0).updater();
        return (i, e) -> first != null && first.hasLearningRate() ? first.getLearningRate(i, e) : Double.NaN;
    }

    /**
     * Records one step.
     *
     * @param examples the examples of the step's global batch
     * @param loss the step's loss
     * @param iteration DL4J's iteration count the step used (not advanced by skipped steps)
     * @param epoch DL4J's epoch count
     * @param scale the loss scale the step's gradients carried
     * @param skipped whether the step overflowed and was skipped
     */
    void afterStep(long examples, double loss, int iteration, int epoch, LossScale scale, boolean skipped) {
        samples += examples;
        if (!csv.enabled()) {
            return;
        }
        OptionalDouble s = fp16 ? OptionalDouble.of(scale.value()) : OptionalDouble.empty();
        csv.writeStep(new StepRecord(samples, loss, rate.at(iteration, epoch), s, skipped));
    }

    @Override
    public void close() {
        csv.close();
    }
}
