package io.ds4j.zero.ledger;

import java.util.Objects;

/**
 * One rank's account of bytes held, by {@link MemoryCategory} and {@link MemoryTier}, with current and peak values.
 * Thread-safe. Owners of buffers {@link #allocate} when they create a buffer and close the returned
 * {@link Allocation} when they free it; {@link #snapshot()} gives an immutable copy for reports.
 */
public final class MemoryLedger {
    private static final int C = MemoryCategory.values().length;
    private static final int T = MemoryTier.values().length;
    private final int rank;
    private final long[][] current = new long[C][T];
    private final long[][] peak = new long[C][T];
    private final long[] tierPeak = new long[T];

    /** An empty ledger of rank {@code rank}. */
    public MemoryLedger(int rank) {
        if (rank < 0) {
            throw new IllegalArgumentException("rank must be >= 0, got " + rank);
        }
        this.rank = rank;
    }

    /** This ledger's rank. */
    public int rank() {
        return rank;
    }

    /**
     * Records {@code bytes} newly held in {@code category} on {@code tier}.
     *
     * @param label what the buffer is, for error messages (e.g. {@code "adam exp_avg shard"})
     * @return the handle whose {@link Allocation#close()} releases the bytes
     */
    public Allocation allocate(MemoryCategory category, MemoryTier tier, long bytes, String label) {
        Objects.requireNonNull(category, "category");
        Objects.requireNonNull(tier, "tier");
        if (bytes < 0) {
            throw new IllegalArgumentException("allocation '" + label + "': bytes must be >= 0, got " + bytes);
        }
        add(category, tier, bytes);
        return new Allocation(category, tier, bytes, label);
    }

    private synchronized void add(MemoryCategory category, MemoryTier tier, long delta) {
        int c = category.ordinal();
        int t = tier.ordinal();
        current[c][t] += delta;
        peak[c][t] = Math.max(peak[c][t], current[c][t]);
        long total = 0;
        for (int i = 0; i < C; i++) {
            total += current[i][t];
        }
        tierPeak[t] = Math.max(tierPeak[t], total);
    }

    /** An immutable copy of the current and peak values. */
    public synchronized LedgerSnapshot snapshot() {
        return new LedgerSnapshot(rank, current, peak, tierPeak);
    }

    /** Bytes held by one buffer; closing releases them once (further closes do nothing). */
    public final class Allocation implements AutoCloseable {
        private final MemoryCategory category;
        private final MemoryTier tier;
        private final long bytes;
        private final String label;
        private boolean released;

        private Allocation(MemoryCategory category, MemoryTier tier, long bytes, String label) {
            this.category = category;
            this.tier = tier;
            this.bytes = bytes;
            this.label = label;
        }

        /** The category. */
        public MemoryCategory category() {
            return category;
        }

        /** The tier. */
        public MemoryTier tier() {
            return tier;
        }

        /** The bytes held. */
        public long bytes() {
            return bytes;
        }

        /** The label given at allocation. */
        public String label() {
            return label;
        }

        /** Whether {@link #close()} was called. */
        public synchronized boolean isReleased() {
            return released;
        }

        /** Releases these bytes and records them on {@code target} instead (e.g. offload to the host). */
        public Allocation moveTo(MemoryTier target) {
            if (isReleased()) {
                throw new IllegalStateException("allocation '" + label + "' was released; it cannot move to "
                        + target);
            }
            close();
            return allocate(category, target, bytes, label);
        }

        @Override
        public void close() {
            synchronized (this) {
                if (released) {
                    return;
                }
                released = true;
            }
            add(category, tier, -bytes);
        }

        @Override
        public String toString() {
            return label + " " + category + "/" + tier + " " + bytes + " B" + (isReleased() ? " (released)" : "");
        }
    }
}
