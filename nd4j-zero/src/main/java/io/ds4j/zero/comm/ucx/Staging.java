package io.ds4j.zero.comm.ucx;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.openucx.jucx.UcxUtils;

/**
 * The native memory a rank's collectives go through, bounded by a fixed budget whatever the world size and the vector
 * length (as DeepSpeed's buckets bound its communication buffers): a set of chunk-sized <b>slots</b> that
 * {@link OwnerReduce} recycles as chunks complete. A slot holds one chunk: a peer's contribution until it is summed,
 * a {@code float[]} chunk on its way out (UCX cannot send from the Java heap), a summed chunk until every peer has it,
 * or a peer's chunk on its way into a {@code float[]}. Slots are allocated on first use and kept; {@link #bytes()} is
 * what they hold, never more than {@link #budget()} (plus the small buffer of the scalar exchange).
 *
 * <p>The budget comes from {@value #VARIABLE} (bytes, {@code k}/{@code M}/{@code G} suffixes; default
 * {@value #DEFAULT_MIB} MiB, at least {@value #MIN_SLOTS} slots of {@value #SLOT_MIB} MiB).
 */
final class Staging {
    /** The variable that sets the budget. */
    static final String VARIABLE = "DS4J_UCX_STAGING";
    static final int DEFAULT_MIB = 16;
    static final int SLOT_MIB = 1;
    /** The fewest slots: two for contributions (a partial sum and the next term) and one for each other use. */
    static final int MIN_SLOTS = 5;

    /** What a slot is for; each use has its own share of the slots, so that no use can starve another. */
    enum Use { CONTRIBUTION, SEND, SUM_OUT, SUM_IN }

    private final int slotFloats;
    private final int slots;
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private int allocated;
    private final int[] cap = new int[Use.values().length];
    private final int[] used = new int[Use.values().length];
    private ByteBuffer small = UcxLink.direct(16);
    private MemoryLedger ledger;
    private final List<MemoryLedger.Allocation> held = new ArrayList<>();
    private MemoryLedger.Allocation smallHeld;

    /**
     * {@code slots} slots of {@code slotFloats} floats each (fewer than {@link #MIN_SLOTS} only in tests: the shares
     * then exceed the count, at least 2 for contributions and 1 for each other use).
     */
    Staging(int slots, int slotFloats) {
        if (slots < 1 || slotFloats < 1) {
            throw new IllegalArgumentException("UCX staging needs a slot, got " + slots + " of " + slotFloats
                    + " floats");
        }
        this.slots = slots;
        this.slotFloats = slotFloats;
    }

    /** The budget {@code value} of {@value #VARIABLE} allows (null or blank: the default), in slots of 1 MiB. */
    static int slotsFor(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_MIB / SLOT_MIB;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        long bytes = -1;
        if (v.matches("[0-9]{1,12}[kmg]?")) {
            char unit = v.charAt(v.length() - 1);
            int shift = unit == 'k' ? 10 : unit == 'm' ? 20 : unit == 'g' ? 30 : 0;
            bytes = Long.parseLong(shift == 0 ? v : v.substring(0, v.length() - 1)) << shift;
        }
        long slotBytes = (long) SLOT_MIB << 20;
        if (bytes < MIN_SLOTS * slotBytes || bytes > (1L << 40)) {
            throw new IllegalArgumentException(VARIABLE + "=" + value + " is not a UCX staging budget; give bytes such"
                    + " as 16M (the default), 64M or 1G, at least " + MIN_SLOTS * SLOT_MIB + "M: the native memory"
                    + " each rank's collectives may hold, in slots of " + SLOT_MIB + " MiB");
        }
        return (int) (bytes / slotBytes);
    }

    /** Floats per slot: the largest chunk. */
    int slotFloats() {
        return slotFloats;
    }

    /** The most bytes the slots may hold. */
    long budget() {
        return (long) Math.max(slots, MIN_SLOTS) * slotFloats * 4;
    }

    /** The bytes held now: the slots allocated so far and the scalar exchange's buffer. */
    long bytes() {
        return (long) allocated * slotFloats * 4 + small.capacity();
    }

    /**
     * Shares the slots equally among the uses a collective needs (per chunk, each use takes about as many: N-1
     * contributions, N-1 sends, N-1 sums in, one sum out to N-1 peers); {@link Use#CONTRIBUTION} gets the rest and at
     * least 2. Called at the start of each collective, when no slot is taken.
     */
    void share(boolean contributions, boolean send, boolean sumOut, boolean sumIn) {
        boolean[] needed = {contributions, send, sumOut, sumIn};
        int uses = 0;
        for (boolean u : needed) {
            uses += u ? 1 : 0;
        }
        int each = Math.max(1, slots / Math.max(1, uses));
        for (Use u : Use.values()) {
            cap[u.ordinal()] = needed[u.ordinal()] ? each : 0;
            used[u.ordinal()] = 0;
        }
        if (contributions) {
            cap[Use.CONTRIBUTION.ordinal()] = Math.max(2, slots - each * (uses - 1));
        }
    }

    /** Whether a slot for {@code use} is free. */
    boolean available(Use use) {
        return used[use.ordinal()] < cap[use.ordinal()];
    }

    /** A slot for {@code use}; call only when {@link #available}. Its address is {@link #address(ByteBuffer)}. */
    ByteBuffer take(Use use) {
        if (!available(use)) {
            throw new IllegalStateException("no UCX staging slot free for " + use);
        }
        used[use.ordinal()]++;
        if (free.isEmpty()) {
            allocated++;
            ByteBuffer slot = UcxLink.direct(4L * slotFloats);
            noted(slot, false);
            return slot;
        }
        return free.pop();
    }

    /** Gives back a slot taken for {@code use}. */
    void give(Use use, ByteBuffer slot) {
        used[use.ordinal()]--;
        free.push(slot);
    }

    static long address(ByteBuffer slot) {
        return UcxUtils.getAddress(slot);
    }

    /** A float view of a slot's first {@code count} floats. */
    static FloatBuffer floats(ByteBuffer slot, int count) {
        return slot.asFloatBuffer().limit(count);
    }

    /** Room for {@code doubles} doubles for the scalar exchange (grown on demand: a few values per rank). */
    DoubleBuffer doubles(long doubles) {
        if (small.capacity() < 8 * doubles) {
            small = UcxLink.direct(8 * doubles);
            noted(small, true);
        }
        return small.asDoubleBuffer();
    }

    /**
     * Records the slots held now and every one allocated from here on in {@code ledger} ({@code COMM_BUFFERS}, host:
     * direct buffers are host memory whatever the compute device), one entry per buffer, until {@link #release}.
     */
    synchronized void accountIn(MemoryLedger into) {
        release();
        ledger = into;
        for (int i = 0; i < allocated; i++) {
            held.add(record(4L * slotFloats, "UCX staging slot"));
        }
        smallHeld = record(small.capacity(), "UCX scalar exchange buffer");
    }

    /** Releases what {@link #accountIn} recorded (at close: the slots go with the connections). */
    synchronized void release() {
        held.forEach(MemoryLedger.Allocation::close);
        held.clear();
        if (smallHeld != null) {
            smallHeld.close();
            smallHeld = null;
        }
        ledger = null;
    }

    /** Records a buffer just allocated, where a ledger is given (the scalar buffer replaces its predecessor). */
    private synchronized void noted(ByteBuffer b, boolean scalar) {
        if (ledger == null) {
            return;
        }
        if (scalar) {
            smallHeld.close();
            smallHeld = record(b.capacity(), "UCX scalar exchange buffer");
        } else {
            held.add(record(b.capacity(), "UCX staging slot"));
        }
    }

    private MemoryLedger.Allocation record(long bytes, String label) {
        return ledger.allocate(MemoryCategory.COMM_BUFFERS, MemoryTier.HOST, bytes, label);
    }

    /** The scalar exchange buffer's address. */
    long doublesAddress() {
        return UcxUtils.getAddress(small);
    }
}
