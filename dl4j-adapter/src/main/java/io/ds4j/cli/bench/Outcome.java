package io.ds4j.cli.bench;

import java.util.Arrays;

/** What one contender produced: measurements, or the reason it could not run. */
public sealed interface Outcome permits Outcome.Measured, Outcome.Unsupported {

    /** @return the contender's name, e.g. {@code ds4j zero-2 fp32 no-offload} */
    String name();

    /**
     * A contender that ran.
     *
     * @param name the contender
     * @param windowRates samples/s of each timed window
     * @param peakLedgerBytes the largest per-rank ledger peak; -1 where there is no ledger
     * @param finalLoss the score on the training split after the run
     * @param params the final flat parameters
     * @param breakdown where rank 0's step time went ("" where not measured)
     */
    record Measured(String name, double[] windowRates, long peakLedgerBytes, double finalLoss,
                    float[] params, String breakdown) implements Outcome {
        /** @return the median of the window rates */
        public double samplesPerSecond() {
            double[] s = windowRates.clone();
            Arrays.sort(s);
            int n = s.length;
            return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        }

        /**
         * @param later the same contender's next round
         * @return the window rates of both, the larger ledger peak, and the rest from {@code later}
         */
        public Measured then(Measured later) {
            double[] rates = Arrays.copyOf(windowRates, windowRates.length + later.windowRates.length);
            System.arraycopy(later.windowRates, 0, rates, windowRates.length, later.windowRates.length);
            return new Measured(name, rates, Math.max(peakLedgerBytes, later.peakLedgerBytes),
                    later.finalLoss, later.params, later.breakdown);
        }

        /**
         * @param other another contender's final parameters
         * @return the largest absolute element difference
         */
        public double maxAbsDiff(float[] other) {
            double m = 0;
            for (int i = 0; i < params.length; i++) {
                m = Math.max(m, Math.abs(params[i] - other[i]));
            }
            return m;
        }
    }

    /**
     * A contender the engine refused.
     *
     * @param name the contender
     * @param reason the refusal, naming the key
     */
    record Unsupported(String name, String reason) implements Outcome {
    }
}
