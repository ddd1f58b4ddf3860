package io.ds4j.cli.train;

import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryTier;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The progress of {@code ds4j train} on stderr, driven by DL4J's listener callbacks on rank 0's network: a bar
 * (step, loss, lr, loss scale, samples/s, ledger bytes per rank) redrawn in place on a terminal and written as a
 * line every tenth of the run otherwise; DeepSpeed's {@code steps_per_print} lines; with
 * {@code wall_clock_breakdown}, the mean forward, backward and rest-of-step milliseconds since the last line.
 * Also records every step's loss for the summary.
 */
public final class ProgressListener extends BaseTrainingListener {
    private static final long REDRAW_NANOS = 200_000_000L;
    private static final int BAR = 20;

    private final PrintStream err;
    private final Settings settings;
    private final Engine engine;
    private final List<Double> losses = new ArrayList<>();
    private final StepClock clock = new StepClock();
    private long windowStart = System.nanoTime();
    private long windowSteps;
    private long lastRedraw;
    private double lastRate;

    /**
     * What to show.
     *
     * @param totalSteps the planned number of steps
     * @param globalBatch examples per step
     * @param stepsPerPrint DeepSpeed's {@code steps_per_print}; 0 = never
     * @param wallClockBreakdown DeepSpeed's {@code wall_clock_breakdown}
     * @param terminal whether stderr is a terminal (redraw the bar in place)
     */
    public record Settings(long totalSteps, int globalBatch, long stepsPerPrint, boolean wallClockBreakdown,
                           boolean terminal) {
    }

    /**
     * What the engine reports, read at each step.
     *
     * @param lr the learning rate of each step
     * @param ledgers the ranks' ledgers now
     * @param lossScale the loss scale of the next step, as printed ("-" without fp16)
     * @param skipped steps skipped so far for gradient overflow
     */
    public record Engine(StepLearningRate.Source lr, Supplier<List<LedgerSnapshot>> ledgers,
                         Supplier<String> lossScale, LongSupplier skipped) {
    }

    /**
     * @param err where to write
     * @param settings what to show
     * @param engine what the engine reports
     */
    public ProgressListener(PrintStream err, Settings settings, Engine engine) {
        this.err = err;
        this.settings = settings;
        this.engine = engine;
    }

    /** @return the loss of every step so far, in order */
    public List<Double> losses() {
        return List.copyOf(losses);
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
        clock.onForwardPass(model, activations);
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        clock.onForwardPass(model, activations);
    }

    @Override
    public void onBackwardPass(Model model) {
        clock.onBackwardPass(model);
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        clock.iterationDone(model, iteration, epoch);
        double loss = model.score();
        losses.add(loss);
        windowSteps++;
        long step = losses.size();
        double stepLr = engine.lr().at(iteration, epoch);
        long now = System.nanoTime();
        if (settings.stepsPerPrint() > 0 && step % settings.stepsPerPrint() == 0) {
            clearBar();
            err.println(String.format(Locale.ROOT, "step %d: loss %.4f lr %.3e skipped %d samples/s %.0f%s", step,
                    loss, stepLr, engine.skipped().getAsLong(), rate(now),
                    settings.wallClockBreakdown() ? " | " + breakdown() : ""));
        }
        boolean tenth = step % Math.max(1, settings.totalSteps() / 10) == 0 || step == settings.totalSteps();
        if (settings.terminal() ? now - lastRedraw > REDRAW_NANOS || step == settings.totalSteps() : tenth) {
            lastRedraw = now;
            err.print((settings.terminal() ? "\r" : "") + bar(step, loss, stepLr, rate(now))
                    + (settings.terminal() && step < settings.totalSteps() ? "" : "\n"));
            err.flush();
        }
    }

    private String breakdown() {
        String s = clock.breakdown().format() + " (mean per step, rank 0)";
        clock.reset();
        return s;
    }

    private double rate(long now) {
        double seconds = (now - windowStart) / 1e9;
        if (seconds > 0.5 || lastRate == 0) {
            lastRate = seconds > 0 ? windowSteps * settings.globalBatch() / seconds : 0;
            windowStart = now;
            windowSteps = 0;
        }
        return lastRate;
    }

    private void clearBar() {
        if (settings.terminal()) {
            err.print("\r\033[K");
        }
    }

    private String bar(long step, double loss, double lr, double rate) {
        int filled = (int) (BAR * step / Math.max(1, settings.totalSteps()));
        StringBuilder sb = new StringBuilder("[");
        sb.append("#".repeat(filled)).append(".".repeat(BAR - filled)).append("] ");
        sb.append(String.format(Locale.ROOT, "step %d/%d loss %.4f lr %.3e loss-scale %s %.0f samples/s mem",
                step, settings.totalSteps(), loss, lr, engine.lossScale().get(), rate));
        for (LedgerSnapshot s : engine.ledgers().get()) {
            sb.append(String.format(Locale.ROOT, " r%d %s", s.rank(), mib(total(s))));
        }
        return sb.toString();
    }

    /**
     * @param s one rank's ledger
     * @return the bytes it holds now over all tiers
     */
    public static long total(LedgerSnapshot s) {
        long sum = 0;
        for (MemoryTier t : MemoryTier.values()) {
            sum += s.tierBytes(t);
        }
        return sum;
    }

    /** @param bytes a byte count @return it in MiB, two decimals */
    public static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024.0));
    }
}
