package io.ds4j.cli.train;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where a step's wall time goes on the thread that calls the network's listeners (rank 0 under ZeroTrainer, the
 * caller under plain {@code fit()}): <b>forward</b> (from the end of the previous callback to the end of the forward
 * pass, so it includes handing the micro-batch over), <b>backward</b> (to the end of backpropagation and the score),
 * and <b>rest</b> (to the end of the step: gradient reduction, clipping, optimizer, parameter gather, and waiting for
 * the other ranks). Accumulated until {@link #reset()}.
 */
public final class StepClock extends BaseTrainingListener {
    private long mark = System.nanoTime();
    private long forward;
    private long backward;
    private long rest;
    private long steps;

    /**
     * Mean milliseconds per step.
     *
     * @param forwardMs forward pass
     * @param backwardMs backward pass and score
     * @param restMs the rest of the step
     * @param steps steps measured
     */
    public record Breakdown(double forwardMs, double backwardMs, double restMs, long steps) {
        /** @return e.g. {@code forward 1.20 ms backward 2.30 ms reduce+step+gather 0.80 ms} */
        public String format() {
            return String.format(Locale.ROOT, "forward %.2f ms backward %.2f ms reduce+step+gather %.2f ms",
                    forwardMs, backwardMs, restMs);
        }
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
        forward += lap();
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        forward += lap();
    }

    @Override
    public void onBackwardPass(Model model) {
        backward += lap();
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        rest += lap();
        steps++;
    }

    private long lap() {
        long now = System.nanoTime();
        long d = now - mark;
        mark = now;
        return d;
    }

    /** @return the mean per step since the last reset */
    public Breakdown breakdown() {
        double n = Math.max(1, steps) * 1e6;
        return new Breakdown(forward / n, backward / n, rest / n, steps);
    }

    /** Starts a new accumulation; the next step's forward time counts from now. */
    public void reset() {
        mark = System.nanoTime();
        forward = 0;
        backward = 0;
        rest = 0;
        steps = 0;
    }
}
