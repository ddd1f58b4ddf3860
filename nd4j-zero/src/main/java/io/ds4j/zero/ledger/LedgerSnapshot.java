package io.ds4j.zero.ledger;

import java.util.Arrays;
import java.util.Locale;

/**
 * An immutable copy of a {@link MemoryLedger} at one moment.
 *
 * @param rank the ledger's rank
 */
public record LedgerSnapshot(int rank, long[][] current, long[][] peak, long[] tierPeak) {
    private static final int C = MemoryCategory.values().length;
    private static final int T = MemoryTier.values().length;

    /** Deep-copies the arrays ({@code [category][tier]} and {@code [tier]}). */
    public LedgerSnapshot {
        current = copy(current);
        peak = copy(peak);
        tierPeak = tierPeak.clone();
    }

    @Override
    public long[][] current() {
        return copy(current);
    }

    @Override
    public long[][] peak() {
        return copy(peak);
    }

    @Override
    public long[] tierPeak() {
        return tierPeak.clone();
    }

    private static long[][] copy(long[][] a) {
        long[][] c = new long[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].clone();
        }
        return c;
    }

    /** Bytes held now in one category and tier. */
    public long bytes(MemoryCategory category, MemoryTier tier) {
        return current[category.ordinal()][tier.ordinal()];
    }

    /** Bytes held now in one category over all tiers. */
    public long bytes(MemoryCategory category) {
        return Arrays.stream(current[category.ordinal()]).sum();
    }

    /** The most bytes ever held at once in one category and tier. */
    public long peakBytes(MemoryCategory category, MemoryTier tier) {
        return peak[category.ordinal()][tier.ordinal()];
    }

    /** Bytes held now in one tier over all categories. */
    public long tierBytes(MemoryTier tier) {
        long s = 0;
        for (int c = 0; c < C; c++) {
            s += current[c][tier.ordinal()];
        }
        return s;
    }

    /** The most bytes ever held at once in one tier. */
    public long tierPeakBytes(MemoryTier tier) {
        return tierPeak[tier.ordinal()];
    }

    /** Model-state bytes held now over all tiers (parameters, gradients, optimizer state, master weights). */
    public long modelStateBytes() {
        long s = 0;
        for (MemoryCategory c : MemoryCategory.values()) {
            s += c.isModelState() ? bytes(c) : 0;
        }
        return s;
    }

    /** A readable table: one row per category, current bytes per tier, and the tier totals and peaks. */
    public String toTable() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "memory ledger, rank %d (MiB)%n", rank));
        b.append(String.format(Locale.ROOT, "%-16s", "category"));
        for (MemoryTier t : MemoryTier.values()) {
            b.append(String.format(Locale.ROOT, " %12s", t));
        }
        b.append(System.lineSeparator());
        for (MemoryCategory c : MemoryCategory.values()) {
            b.append(String.format(Locale.ROOT, "%-16s", c));
            for (int t = 0; t < T; t++) {
                b.append(String.format(Locale.ROOT, " %12.3f", mib(current[c.ordinal()][t])));
            }
            b.append(System.lineSeparator());
        }
        b.append(String.format(Locale.ROOT, "%-16s", "total"));
        for (MemoryTier t : MemoryTier.values()) {
            b.append(String.format(Locale.ROOT, " %12.3f", mib(tierBytes(t))));
        }
        b.append(System.lineSeparator()).append(String.format(Locale.ROOT, "%-16s", "peak"));
        for (MemoryTier t : MemoryTier.values()) {
            b.append(String.format(Locale.ROOT, " %12.3f", mib(tierPeakBytes(t))));
        }
        return b.append(System.lineSeparator()).toString();
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
