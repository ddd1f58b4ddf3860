package io.ds4j.dl4j;

import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Keeps the process's resident memory near the level training settles at, by starting a Java garbage collection when
 * it has grown past that level by more than a slack.
 *
 * <p>Why a trainer needs it: ND4J frees an array's native memory only after the Java collector has found the array
 * unreachable, and each array (a view included) leaves behind small Java objects that wait for ND4J's deallocator
 * thread. Those that are still waiting when a young collection runs are promoted to the old generation, which G1 only
 * collects once the heap is about 45% full, of a heap that {@code -Xmx} may let grow to GiBs. Measured on
 * {@code bench memory}'s 4M-parameter network with its children's {@code -Xmx2g}: ZeRO-3 with 2 rank threads held a
 * VmHWM of about 236 MiB after 5 steps and 640 MiB (median of 3) after 480 without this guard, 368 MiB with it, in
 * about 4% less wall time (plain DL4J {@code fit()}: 191 and 384 MiB); almost all of the growth is garbage that a
 * full collection frees.
 *
 * <p>The guard measures the resident set after each step; the largest reading of the first {@value #SETTLE_STEPS}
 * steps is the settled level, and once a reading exceeds it by the slack ({@code slack} x the settled level, at least
 * {@value #MIN_SLACK_MIB} MiB) the guard calls {@link System#gc()}. It never spends more than 1/{@value #TIME_SHARE}
 * of the training's wall time in the collections it starts (after one that took {@code t}, the next waits
 * {@code (TIME_SHARE - 1) t}), so a run whose resident set grows for a real reason (more memory held, not garbage)
 * pays at most that share, and garbage that grows faster than that share can collect is slowed, not stopped.
 *
 * <p>Training is unchanged by it: a collection frees only unreachable objects. Off with a slack of 0 (the system
 * property {@value #PROPERTY}, or {@code ZeroTrainer.Builder#residentSlack}); a JVM run with
 * {@code -XX:+DisableExplicitGC} ignores it. One guard per trainer, called by the thread that runs its steps.
 */
final class ResidentGuard {
    /** The system property that sets the default slack (a fraction; 0 turns the guard off). */
    static final String PROPERTY = "ds4j.resident.slack";
    /** The slack when neither the builder nor {@link #PROPERTY} sets one. */
    static final double DEFAULT_SLACK = 0.10;
    /** The least slack, MiB. */
    static final long MIN_SLACK_MIB = 32;
    /** Steps whose largest resident reading is the settled level. */
    static final int SETTLE_STEPS = 3;
    /** The guard's collections take at most 1/TIME_SHARE of the wall time. */
    static final int TIME_SHARE = 20;

    private final double slack;
    private final LongSupplier resident;
    private final LongSupplier nanoClock;
    private final Runnable collect;
    private int steps;
    private long settled;
    private long limit = Long.MAX_VALUE;
    private long notBefore = Long.MIN_VALUE;
    private int collections;

    /**
     * @param slack     the growth over the settled level allowed before a collection, as a fraction of it; 0: off
     * @param resident  the process's resident bytes now
     * @param nanoClock a monotonic clock, nanoseconds
     * @param collect   starts a garbage collection and returns when it ends
     */
    ResidentGuard(double slack, LongSupplier resident, LongSupplier nanoClock, Runnable collect) {
        this.slack = check(slack);
        this.resident = resident;
        this.nanoClock = nanoClock;
        this.collect = collect;
    }

    /**
     * @param slack the slack, or NaN for the system property's (else {@link #DEFAULT_SLACK})
     * @return a guard reading the process's resident set (JavaCPP's physical bytes) and calling {@link System#gc()}
     */
    static ResidentGuard forProcess(double slack) {
        return new ResidentGuard(Double.isNaN(slack) ? fromProperty(System.getProperty(PROPERTY)) : slack,
                org.bytedeco.javacpp.Pointer::physicalBytes, System::nanoTime, System::gc);
    }

    /**
     * @param value the property's value, or null
     * @return the slack it sets, or {@link #DEFAULT_SLACK} when null
     * @throws IllegalArgumentException naming the property when it is not a fraction in [0, 10]
     */
    static double fromProperty(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_SLACK;
        }
        try {
            return check(Double.parseDouble(value.trim()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + " is not allowed; use a fraction of the"
                    + " settled resident memory between 0 (the guard off) and 10, e.g. 0.1");
        }
    }

    /**
     * @param slack the fraction
     * @return it
     * @throws IllegalArgumentException when it is not in [0, 10]
     */
    static double check(double slack) {
        if (!(slack >= 0 && slack <= 10)) {
            throw new IllegalArgumentException("residentSlack: " + slack + " is not allowed; use a fraction of the"
                    + " settled resident memory between 0 (the guard off) and 10, e.g. 0.1");
        }
        return slack;
    }

    /** After each training step: reads the resident set, and collects when it grew past the slack. */
    void afterStep() {
        if (slack == 0) {
            return;
        }
        long now = resident.getAsLong();
        if (++steps <= SETTLE_STEPS) {
            settled = Math.max(settled, now);
            limit = settled + Math.max(MIN_SLACK_MIB << 20, (long) (slack * settled));
            return;
        }
        long t0 = nanoClock.getAsLong();
        if (now <= limit || t0 < notBefore) {
            return;
        }
        collect.run();
        long took = Math.max(0, nanoClock.getAsLong() - t0);
        notBefore = t0 + took * TIME_SHARE;
        collections++;
    }

    /** @return the collections this guard started */
    int collections() {
        return collections;
    }

    /** @return the resident bytes above which it collects (Long.MAX_VALUE while settling or when off) */
    long limit() {
        return slack == 0 ? Long.MAX_VALUE : limit;
    }

    @Override
    public String toString() {
        return slack == 0 ? "resident guard off" : String.format(Locale.ROOT,
                "resident guard: slack %.2f, settled %d B, limit %d B, %d collections", slack, settled, limit(),
                collections);
    }
}
