package io.ds4j.cli.train;

import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryTier;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What one {@code ds4j train} run did.
 *
 * @param steps optimizer steps run
 * @param losses the loss of every step (global batch mean), in order
 * @param skippedSteps steps skipped for gradient overflow (always 0 in fp32)
 * @param testAccuracy accuracy on the held-out test split after training
 * @param ledgers each rank's memory ledger at the end
 * @param timing wall time of the training loop and the examples it trained on
 * @param saved where the model zip was written
 */
public record TrainSummary(long steps, List<Double> losses, long skippedSteps, double testAccuracy,
                           List<LedgerSnapshot> ledgers, Timing timing, Path saved) {

    /**
     * @param seconds wall time of the training loop
     * @param samples examples trained on
     */
    public record Timing(double seconds, long samples) {
    }

    /** Copies the lists. */
    public TrainSummary {
        losses = List.copyOf(losses);
        ledgers = List.copyOf(ledgers);
    }

    /** @return the first step's loss; NaN without steps */
    public double firstLoss() {
        return losses.isEmpty() ? Double.NaN : losses.get(0);
    }

    /** @return the mean loss of the last {@code min(10, steps)} steps; NaN without steps */
    public double lastLoss() {
        int n = Math.min(10, losses.size());
        double sum = 0;
        for (int i = losses.size() - n; i < losses.size(); i++) {
            sum += losses.get(i);
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** @return the readable summary */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "steps            %d (%d skipped)%n", steps, skippedSteps));
        sb.append(String.format(Locale.ROOT, "loss             %.4f -> %.4f (first step -> mean of the last %d)%n",
                firstLoss(), lastLoss(), Math.min(10, losses.size())));
        sb.append(String.format(Locale.ROOT, "test accuracy    %.4f%n", testAccuracy));
        sb.append(String.format(Locale.ROOT, "throughput       %.0f samples/s (%d samples in %.1f s)%n",
                timing.samples() / Math.max(1e-9, timing.seconds()), timing.samples(), timing.seconds()));
        for (LedgerSnapshot s : ledgers) {
            sb.append(String.format(Locale.ROOT, "ledger rank %d    now %s, peak device %s, peak host %s%n",
                    s.rank(), ProgressListener.mib(ProgressListener.total(s)),
                    ProgressListener.mib(s.tierPeakBytes(MemoryTier.DEVICE)),
                    ProgressListener.mib(s.tierPeakBytes(MemoryTier.HOST))));
        }
        sb.append("model            ").append(saved).append(" (DL4J ModelSerializer zip; restore with")
                .append(" ComputationGraph.load(file, false))");
        return sb.toString();
    }
}
