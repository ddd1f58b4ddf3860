package io.ds4j.zero.comm;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The state shared by the rank handles of one {@link InProcessCollectives} group: the posted operations, an abortable
 * generation barrier and the abort record. All fields are guarded by {@code this}.
 */
final class InProcessGroup {
    /**
     * One rank's description of the collective it entered. Its input (and output) vector is a {@code float[]} from an
     * offset or, for ND4J arrays, a {@link FloatBuffer} over the array's own memory from index 0 ({@code nativeIn},
     * {@code nativeNumel} elements: a read past them gives zero, the padding of a last block).
     */
    record Posted(CollectiveKind kind, float[] in, int inOffset, float[] out, int outOffset, double[] values,
                  FloatBuffer nativeIn, int nativeNumel, FloatBuffer nativeOut) {
        /** A posting of float buffers (no double values). */
        Posted(CollectiveKind kind, float[] in, int inOffset, float[] out, int outOffset) {
            this(kind, in, inOffset, out, outOffset, null, null, 0, null);
        }

        /** A posting of double values. */
        Posted(CollectiveKind kind, float[] in, int inOffset, float[] out, int outOffset, double[] values) {
            this(kind, in, inOffset, out, outOffset, values, null, 0, null);
        }

        /** A posting of native vectors (ND4J arrays' memory): input of {@code numel} elements, output or null. */
        static Posted nativeVectors(CollectiveKind kind, FloatBuffer in, int numel, FloatBuffer out) {
            return new Posted(kind, null, 0, null, 0, null, in, numel, out);
        }

        /** The input's elements {@code [from, from + len)} into {@code dst[0, len)} (zero past a native numel). */
        void read(long from, float[] dst, int len) {
            if (in != null) {
                System.arraycopy(in, Math.toIntExact(inOffset + from), dst, 0, len);
                return;
            }
            int k = (int) Math.max(0, Math.min(len, nativeNumel - from));
            if (k > 0) {
                nativeIn.get((int) from, dst, 0, k); // absolute: the buffer's state is untouched, safe across threads
            }
            java.util.Arrays.fill(dst, k, len, 0f);
        }

        /** {@code src[0, len)} into the input vector from element {@code at} (an in-place collective's result). */
        void writeIn(long at, float[] src, int len) {
            if (in != null) {
                System.arraycopy(src, 0, in, Math.toIntExact(inOffset + at), len);
            } else {
                nativeIn.put((int) at, src, 0, len);
            }
        }

        /** {@code src[0, len)} into the output vector from element {@code at}. */
        void writeOut(long at, float[] src, int len) {
            if (out != null) {
                System.arraycopy(src, 0, out, Math.toIntExact(outOffset + at), len);
            } else {
                nativeOut.put((int) at, src, 0, len);
            }
        }
    }

    /** The shape every rank must agree on. */
    record Shape(int length, int stride, int root, String op) {
    }

    private record Abort(int rank, Throwable cause) {
    }

    private final int worldSize;
    private final long timeoutNanos;
    private final Posted[] posted;
    private final Shape[] shapes;
    private final double[] scalars;
    private final boolean[] arrived;
    private int arrivedCount;
    private long generation;
    /** The shape check of the last completed generation ({@link #check()}). */
    private String mismatch;
    private Abort abort;

    InProcessGroup(int worldSize, long timeoutNanos) {
        this.worldSize = worldSize;
        this.timeoutNanos = timeoutNanos;
        this.posted = new Posted[worldSize];
        this.shapes = new Shape[worldSize];
        this.scalars = new double[worldSize];
        this.arrived = new boolean[worldSize];
    }

    int worldSize() {
        return worldSize;
    }

    /**
     * Posts this rank's operation, waits for all ranks, and checks that they all entered the same collective. The
     * check is made by the last rank to arrive, before any rank can go on and post its next collective (a rank that
     * leaves a barrier first may enter its next collective before the others have woken up).
     */
    void enter(int rank, Posted p, Shape shape, double scalar) {
        synchronized (this) {
            posted[rank] = p;
            shapes[rank] = shape;
            scalars[rank] = scalar;
        }
        await(rank, shape.op());
        String seen;
        synchronized (this) {
            seen = mismatch;
        }
        if (seen != null) {
            IllegalStateException e = new IllegalStateException("ranks entered different collectives (every rank must"
                    + " call the same collectives in the same order with the same shape): " + seen);
            abort(rank, e);
            throw new CollectiveAbortedException(rank, shape.op(), rank, e);
        }
    }

    /**
     * Null when every rank posted the same shape and kind, else what each posted. It runs at every barrier, so the
     * description is built only for a mismatch (building it each time was about 5% of a stage-3 step's heap garbage).
     */
    private String check() {
        boolean same = true;
        for (int q = 0; q < worldSize && same; q++) {
            same = shapes[q] != null && shapes[q].equals(shapes[0]) && posted[q].kind() == posted[0].kind();
        }
        if (same) {
            return null;
        }
        List<String> seen = new ArrayList<>();
        for (int q = 0; q < worldSize; q++) {
            seen.add("rank " + q + ": " + shapes[q]);
        }
        return seen.toString();
    }

    synchronized Posted posted(int rank) {
        return posted[rank];
    }

    synchronized double scalar(int rank) {
        return scalars[rank];
    }

    /**
     * The collective's closing barrier: once every rank has done its share, this rank's posted buffers are dropped
     * from the group, so that the group never keeps a rank's (possibly large, transient) array reachable between
     * collectives. Safe without further synchronisation: the others read this rank's post only between the entry and
     * the closing barrier, and this rank posts its next operation only after clearing.
     */
    void complete(int rank, String op) {
        await(rank, op + " completion");
        synchronized (this) {
            posted[rank] = null;
        }
    }

    /** The abortable barrier: returns when all ranks arrived in this generation, or throws when aborted. */
    void await(int rank, String op) {
        synchronized (this) {
            throwIfAborted(rank, op);
            long gen = generation;
            arrived[rank] = true;
            if (++arrivedCount == worldSize) {
                mismatch = check();
                arrivedCount = 0;
                java.util.Arrays.fill(arrived, false);
                generation++;
                notifyAll();
                return;
            }
            long deadline = System.nanoTime() + timeoutNanos;
            while (generation == gen) {
                throwIfAborted(rank, op);
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    timeOut(rank, op);
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    abort(rank, e);
                }
            }
        }
    }

    private void timeOut(int rank, String op) {
        List<Integer> missing = new ArrayList<>();
        for (int q = 0; q < worldSize; q++) {
            if (!arrived[q]) {
                missing.add(q);
            }
        }
        int culprit = missing.isEmpty() ? rank : missing.get(0);
        abort(culprit, new TimeoutException("rank(s) " + missing + " did not enter " + op + " within "
                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms while rank " + rank + " waited"));
        throwIfAborted(rank, op);
    }

    synchronized void abort(int rank, Throwable cause) {
        if (abort == null) {
            abort = new Abort(rank, cause);
        }
        notifyAll();
    }

    synchronized void throwIfAborted(int rank, String op) {
        if (abort != null) {
            throw new CollectiveAbortedException(rank, op, abort.rank(), abort.cause());
        }
    }
}
