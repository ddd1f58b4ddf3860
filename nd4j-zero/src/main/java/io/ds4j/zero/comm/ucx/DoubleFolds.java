package io.ds4j.zero.comm.ucx;

import java.util.Arrays;

/**
 * Folds of gathered doubles, every rank's values in rank order (rank q's m values at {@code [q*m, +m)}), as
 * {@link io.ds4j.zero.comm.InProcessCollectives} folds them: the sum left to right from rank 0, the max
 * NaN-propagating.
 */
final class DoubleFolds {
    private DoubleFolds() {
    }

    /** Element i of the result = {@code ((all[i] + all[m+i]) + all[2m+i]) + ...} over n ranks. */
    static double[] sum(double[] all, int n, int m) {
        double[] out = Arrays.copyOf(all, m);
        for (int q = 1; q < n; q++) {
            for (int i = 0; i < m; i++) {
                out[i] += all[q * m + i];
            }
        }
        return out;
    }

    /** The largest of n values, NaN when any is. */
    static double max(double[] all, int n) {
        double m = all[0];
        for (int q = 1; q < n; q++) {
            m = Double.isNaN(m) || Double.isNaN(all[q]) ? Double.NaN : Math.max(m, all[q]);
        }
        return m;
    }
}
