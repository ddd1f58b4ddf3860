package io.ds4j.cli.train;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.OptimizerSection;
import io.ds4j.config.SchedulerSection;
import io.ds4j.schedules.LrSchedule;
import io.ds4j.schedules.Schedules;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The learning rate of each step, for the progress line. With an {@code optimizer} section the engine runs
 * DeepSpeed's optimizer and drives the {@code scheduler} itself: DeepSpeed's k-th update (k from 1) uses the
 * schedule's value at iteration {@code k - 2} (the value written at construction, iteration -1, serves the first), so
 * with DL4J's iteration count {@code i = k - 1} the rate is {@code lr(i - 1)}; without a scheduler it is the
 * optimizer's {@code lr}. Without an {@code optimizer} section the network's own DL4J updater runs (the engine puts
 * the schedule into it), so its rate is read from the network's first layer.
 */
public final class StepLearningRate {
    /** A learning rate per DL4J iteration. */
    @FunctionalInterface
    public interface Source {
        /**
         * @param iteration DL4J's iteration count when the step ran
         * @param epoch DL4J's epoch count
         * @return the learning rate the step used; NaN when it cannot be told
         */
        double at(int iteration, int epoch);
    }

    private StepLearningRate() {
    }

    /**
     * @param config the configuration the engine runs
     * @param net the network (its first layer's updater when there is no optimizer section)
     * @return the learning rate of each step
     */
    public static Source of(DeepSpeedConfig config, ComputationGraph net) {
        if (config.optimizer().isEmpty()) {
            return (i, e) -> ((BaseLayer) net.getLayers()[0].conf().getLayer()).getIUpdater().getLearningRate(i, e);
        }
        double lr = optimizerLr(config.optimizer().get(), net);
        if (config.scheduler().isEmpty()) {
            return (i, e) -> lr;
        }
        LrSchedule schedule;
        try {
            SchedulerSection s = config.scheduler().get().withAutoResolved(lr, -1);
            schedule = Schedules.create(s.type(), s.params(), lr);
        } catch (IllegalArgumentException unresolved) {
            return (i, e) -> Double.NaN; // e.g. "auto" params: the engine resolves them, the display does not
        }
        return (i, e) -> schedule.lr(Math.max(-1, i - 1));
    }

    private static double optimizerLr(OptimizerSection opt, ComputationGraph net) {
        Object v = opt.params().get("lr");
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        return ((BaseLayer) net.getLayers()[0].conf().getLayer()).getIUpdater().getLearningRate(0, 0);
    }

    /**
     * @param config the configuration
     * @return e.g. {@code Adam {lr=0.002} (DeepSpeed optimizer in the engine), scheduler WarmupLR}
     */
    public static String describe(DeepSpeedConfig config) {
        String opt = config.optimizer().map(o -> o.type() + " " + o.params() + " (DeepSpeed optimizer, run by the"
                + " engine)").orElse("the network's DL4J updater (no optimizer section)");
        return opt + config.scheduler().map(s -> ", scheduler " + s.type() + " " + s.params())
                .orElse(", no scheduler");
    }
}
