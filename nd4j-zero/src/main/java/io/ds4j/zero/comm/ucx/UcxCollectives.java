package io.ds4j.zero.comm.ucx;

import java.nio.DoubleBuffer;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import io.ds4j.zero.comm.CollectiveKind;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.comm.CommStats;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link Collectives} for ranks that are separate processes (or hosts), over UCX tag send/receive.
 *
 * <h2>Algorithm and summation order</h2>
 * The contract sums in rank order 0..N-1, bit-identical to {@link io.ds4j.zero.comm.InProcessCollectives}. A ring
 * reduce-scatter adds in ring order, and floating-point addition is not associative; so each segment is reduced at
 * its owner instead ({@link OwnerReduce}): every rank sends segment q straight to rank q, which adds the N
 * contributions in rank order, chunk by chunk as they arrive, and (all-reduce) sends each summed chunk straight on to
 * every rank. Each rank moves the ring's volume, {@code 2 (N-1)/N} of the vector for an all-reduce; every wait is on
 * a named peer, so a silent or dead rank is named directly.
 *
 * <h2>Buffers</h2>
 * Contiguous FLOAT ND4J arrays go to UCX from their own off-heap memory, without any copy
 * ({@link #allReduceSum(INDArray)}, {@link #reduceScatterSum(INDArray, INDArray)},
 * {@link #allGather(INDArray, INDArray)}); other arrays go through the heap as {@link Collectives} does. UCX cannot
 * send from the Java heap, so {@code float[]} vectors go through native staging slots a chunk at a time (this rank's
 * own block is summed from the array where it lies). Those slots and the peers' contributions on their way to the sum
 * share a fixed budget ({@link Staging}: {@code DS4J_UCX_STAGING}, default 16 MiB), whatever the world size and the
 * vector length; {@link #stagingBytes()} is what they hold, for a memory ledger.
 *
 * <h2>Failures</h2>
 * A mismatched collective (detected from a shape check in every message tag and from message lengths), a lost peer, or
 * a peer silent past the timeout aborts the group naming that rank; the abort reaches every peer as a message.
 */
public final class UcxCollectives implements Collectives, AutoCloseable {
    /** How long connecting waits for the peers at least, whatever the collective timeout. */
    private static final Duration CONNECT_WAIT = Duration.ofSeconds(60);
    private final UcxLink link;
    private final int rank;
    private final int n;
    private final CollectiveCalls calls;
    private final Staging staging;

    private UcxCollectives(UcxLink link, Staging staging) {
        this.link = link;
        this.rank = link.rank();
        this.n = link.worldSize();
        this.calls = new CollectiveCalls(link);
        this.staging = staging;
    }

    /**
     * Connects {@code node} to the other ranks. Takes ownership of {@code node} (closed with this).
     *
     * @param node      this rank's opened node
     * @param rank      this rank, {@code 0 <= rank < addresses.size()}
     * @param addresses every rank's {@link UcxNode#address()}, index r for rank r
     * @param timeout   how long a collective waits for a peer before aborting the group naming it
     * @return the connected collectives, after one exchange with every peer (so every rank must call this)
     */
    public static UcxCollectives connect(UcxNode node, int rank, List<byte[]> addresses, Duration timeout) {
        int slots;
        try {
            slots = Staging.slotsFor(System.getenv(Staging.VARIABLE));
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        return connect(node, rank, addresses, timeout, slots, OwnerReduce.CHUNK);
    }

    /**
     * As {@link #connect(UcxNode, int, List, Duration)} with {@code slots} staging slots of {@code slotFloats} floats
     * (the chunk size); tests use a few small ones to exercise the recycling.
     */
    static UcxCollectives connect(UcxNode node, int rank, List<byte[]> addresses, Duration timeout, int slots,
            int slotFloats) {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(timeout, "timeout");
        if (addresses.isEmpty() || addresses.size() > Tags.MAX_RANKS) {
            throw new IllegalArgumentException("world size " + addresses.size() + " is not allowed; use 1.."
                    + Tags.MAX_RANKS);
        }
        if (rank < 0 || rank >= addresses.size()) {
            throw new IllegalArgumentException("rank " + rank + " is not in 0.." + (addresses.size() - 1));
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        UcxLink link;
        try {
            link = new UcxLink(node, rank, List.copyOf(addresses), timeout.toNanos());
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        UcxCollectives c = new UcxCollectives(link, new Staging(slots, slotFloats));
        try {
            c.wireUp();
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * One message each way with every peer before the first collective, over the data and the control endpoints, so
     * that every connection is established while all ranks progress: an abort message sent later then leaves even if
     * its sender stops progressing.
     */
    private void wireUp() {
        Round round = link.round("connect", Tags.shapeCheck(-1, 0, 0, -1), 3, 0xFFFF_FFFFL, CONNECT_WAIT);
        for (int q = 0; q < n; q++) {
            if (q != rank && round.sendControl(q)) {
                round.recv(q, 0, 0); // the peer's control handshake: same tag, empty, matched in any order
            }
        }
        swapSlots(round, 0, 0);
    }

    /**
     * Every peer sends this rank the slot it owns and receives this rank's: slot q is {@code slotBytes} at
     * {@code base + q * slotBytes} (0 bytes: a plain rendezvous); returns when the round has completed.
     */
    private void swapSlots(Round round, long base, long slotBytes) {
        for (int q = 0; q < n; q++) {
            if (q != rank) {
                round.recv(q, base + q * slotBytes, slotBytes);
                round.send(q, base + rank * slotBytes, slotBytes);
            }
        }
        round.await();
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return n;
    }

    @Override
    public void allReduceSum(float[] data, int offset, int length) {
        long t0 = System.nanoTime();
        Checks.range(rank, "allReduceSum data", data, offset, length);
        allReduce(Blocks.split(data, offset, length, n), length, "allReduceSum(length=" + length + ")");
        link.meter().collective(System.nanoTime() - t0);
    }

    /** The all-reduce of {@code v}, in place ({@link OwnerReduce}); its time goes to the caller's profile entry. */
    private void allReduce(Blocks v, int length, String op) {
        int check = Tags.shapeCheck(CollectiveKind.ALL_REDUCE.ordinal(), length, 0, -1);
        long id = calls.next(op);
        if (n > 1) {
            OwnerReduce.run(link.round(op, check, 0, id), rank, v, v, staging, true, true);
        }
        calls.count(-1, CollectiveKind.ALL_REDUCE, 2L * (length - v.len[rank]), 4);
    }

    @Override
    public void reduceScatterSum(float[] input, int inputOffset, int stride, float[] output, int outputOffset,
            int length) {
        long t0 = System.nanoTime();
        Checks.strided(rank, n, "reduceScatterSum input", input, inputOffset, stride, length);
        Checks.range(rank, "reduceScatterSum output", output, outputOffset, length);
        String op = "reduceScatterSum(length=" + length + ", stride=" + stride + ")";
        int check = Tags.shapeCheck(CollectiveKind.REDUCE_SCATTER.ordinal(), length, stride, -1);
        long id = calls.next(op);
        OwnerReduce.run(link.round(op, check, 0, id), rank, Blocks.strided(input, inputOffset, stride,
                length, n), Blocks.strided(output, outputOffset, 0, length, n), staging, true, false);
        calls.count(t0, CollectiveKind.REDUCE_SCATTER, (long) (n - 1) * length, 4);
    }

    @Override
    public void allGather(float[] input, int inputOffset, float[] output, int outputOffset, int stride, int length) {
        long t0 = System.nanoTime();
        Checks.range(rank, "allGather input", input, inputOffset, length);
        Checks.strided(rank, n, "allGather output", output, outputOffset, stride, length);
        String op = "allGather(length=" + length + ", stride=" + stride + ")";
        int check = Tags.shapeCheck(CollectiveKind.ALL_GATHER.ordinal(), length, stride, -1);
        long id = calls.next(op);
        OwnerReduce.run(link.round(op, check, 0, id), rank, Blocks.strided(input, inputOffset, 0, length,
                n), Blocks.strided(output, outputOffset, stride, length, n), staging, false, true);
        calls.count(t0, CollectiveKind.ALL_GATHER, (long) (n - 1) * length, 4);
    }

    @Override
    public void broadcast(float[] data, int offset, int length, int root) {
        long t0 = System.nanoTime();
        Checks.root(n, "broadcast", root);
        Checks.range(rank, "broadcast data", data, offset, length);
        String op = "broadcast(length=" + length + ", root=" + root + ")";
        int check = Tags.shapeCheck(CollectiveKind.BROADCAST.ordinal(), length, 0, root);
        long id = calls.next(op);
        Blocks v = Blocks.rootOnly(data, offset, length, root, n);
        OwnerReduce.run(link.round(op, check, 0, id), rank, v, v, staging, false, true);
        calls.count(t0, CollectiveKind.BROADCAST, rank == root ? 0 : length, 4);
    }

    /** Only the root receives and sums (rank order, bit-identical to the all-reduce); the others send once. */
    @Override
    public void reduceSum(float[] data, int offset, int length, int root) {
        long t0 = System.nanoTime();
        Checks.root(n, "reduceSum", root);
        Checks.range(rank, "reduceSum data", data, offset, length);
        String op = "reduceSum(length=" + length + ", root=" + root + ")";
        int check = Tags.shapeCheck(CollectiveKind.REDUCE.ordinal(), length, 0, root);
        long id = calls.next(op);
        Blocks v = Blocks.rootOnly(data, offset, length, root, n);
        OwnerReduce.run(link.round(op, check, 0, id), rank, v, v, staging, true, false);
        calls.count(t0, CollectiveKind.REDUCE, rank == root ? 0 : length, 4);
    }

    /** From and into {@code data}'s own off-heap memory when it is contiguous FLOAT (C order); else via the heap. */
    @Override
    public void allReduceSum(INDArray data) {
        long a = NativeArrays.address(data);
        if (a < 0) {
            Collectives.super.allReduceSum(data);
            return;
        }
        long t0 = System.nanoTime();
        int length = (int) data.length();
        allReduce(Blocks.split(a, length, n), length, "allReduceSum(length=" + length + ")");
        link.meter().collective(System.nanoTime() - t0);
        Reference.reachabilityFence(data);
    }

    /** From {@code input}'s and into {@code output}'s own off-heap memory when both are contiguous FLOAT. */
    @Override
    public void reduceScatterSum(INDArray input, INDArray output) {
        long in = NativeArrays.address(input);
        long out = NativeArrays.address(output);
        if (in < 0 || out < 0 || input.length() != output.length() * n) {
            Collectives.super.reduceScatterSum(input, output);
            return;
        }
        long t0 = System.nanoTime();
        int length = (int) output.length();
        String op = "reduceScatterSum(length=" + length + ", stride=" + length + ")";
        long id = calls.next(op);
        OwnerReduce.run(link.round(op, Tags.shapeCheck(CollectiveKind.REDUCE_SCATTER.ordinal(), length, length, -1), 0,
                id), rank, Blocks.strided(in, length, length, n), Blocks.strided(out, 0, length, n), staging,
                true, false);
        calls.count(t0, CollectiveKind.REDUCE_SCATTER, (long) (n - 1) * length, 4);
        Reference.reachabilityFence(input);
        Reference.reachabilityFence(output);
    }

    /** From {@code input}'s and into {@code output}'s own off-heap memory when both are contiguous FLOAT. */
    @Override
    public void allGather(INDArray input, INDArray output) {
        long in = NativeArrays.address(input);
        long out = NativeArrays.address(output);
        if (in < 0 || out < 0 || output.length() != input.length() * n) {
            Collectives.super.allGather(input, output);
            return;
        }
        long t0 = System.nanoTime();
        int length = (int) input.length();
        String op = "allGather(length=" + length + ", stride=" + length + ")";
        long id = calls.next(op);
        long own = out + 4L * rank * length;
        if (own != in) {
            OwnerReduce.floats(own, length).put(OwnerReduce.floats(in, length));
        }
        Blocks v = Blocks.strided(out, length, length, n);
        OwnerReduce.run(link.round(op, Tags.shapeCheck(CollectiveKind.ALL_GATHER.ordinal(), length, length, -1), 0,
                id), rank, v, v, staging, false, true);
        calls.count(t0, CollectiveKind.ALL_GATHER, (long) (n - 1) * length, 4);
        Reference.reachabilityFence(input);
        Reference.reachabilityFence(output);
    }

    @Override
    public double allReduceSum(double value) {
        return DoubleFolds.sum(exchange(new double[] {value}, "allReduceSum(scalar)"), n, 1)[0];
    }

    @Override
    public double[] allReduceSum(double[] values) {
        return DoubleFolds.sum(exchange(values, "allReduceSum(double[" + values.length + "])"), n, values.length);
    }

    @Override
    public double allReduceMax(double value) {
        return DoubleFolds.max(exchange(new double[] {value}, "allReduceMax(scalar)"), n);
    }

    /** Every rank's {@code values}, rank q's at {@code [q*m, +m)}: an all-gather of doubles. */
    private double[] exchange(double[] values, String op) {
        long t0 = System.nanoTime();
        int m = values.length;
        int check = Tags.shapeCheck(CollectiveKind.SCALAR_ALL_REDUCE.ordinal(), m, 0, -1);
        long id = calls.next(op);
        DoubleBuffer s = staging.doubles((long) n * m);
        s.put(rank * m, values, 0, m);
        swapSlots(link.round(op, check, 0, id), staging.doublesAddress(), 8L * m);
        double[] all = new double[n * m];
        s.get(0, all, 0, n * m);
        calls.count(t0, CollectiveKind.SCALAR_ALL_REDUCE, (long) (n - 1) * m, 8);
        return all;
    }

    @Override
    public void barrier() {
        long t0 = System.nanoTime();
        int check = Tags.shapeCheck(CollectiveKind.BARRIER.ordinal(), 0, 0, -1);
        swapSlots(link.round("barrier", check, 0, calls.next("barrier")), 0, 0);
        calls.count(t0, CollectiveKind.BARRIER, 0, 0);
    }

    @Override
    public void abort(Throwable cause) {
        link.abort(rank, Objects.requireNonNull(cause, "cause"));
    }

    @Override
    public CommStats stats() {
        return calls.stats();
    }

    /**
     * The native memory this rank's collectives hold now (staging slots and the scalar exchange's buffer), for a
     * caller's ledger: never more than {@link #stagingBudget()} plus a few bytes per rank, whatever the world size and
     * the vector lengths.
     *
     * @return bytes
     */
    public long stagingBytes() {
        return staging.bytes();
    }

    /**
     * The most the staging slots may hold: {@code DS4J_UCX_STAGING} (default 16 MiB, at least 5 MiB). Vectors longer
     * than the slots hold go through them chunk by chunk.
     *
     * @return bytes
     */
    public long stagingBudget() {
        return staging.budget();
    }

    /**
     * Where this rank's time in the collectives went since the last {@link #resetProfile()} (or since it connected):
     * UCX moving bytes, waiting for peers, summing, staging copies.
     *
     * @return a snapshot
     */
    public UcxProfile profile() {
        return link.meter().snapshot();
    }

    /** Starts a new {@link #profile()}. */
    public void resetProfile() {
        link.meter().reset();
    }

    /**
     * A diagnostic, not a collective: rank 0 streams {@code messages} tag messages of {@code bytes} each to rank 1 over
     * the data endpoint, all posted at once as {@code ucx_perftest -t tag_bw} does (every rank calls it; ranks from 2
     * up take no part). {@code ds4j bench comm} compares it with ucx_perftest to tell jucx's own ceiling.
     *
     * @return on rank 0, the seconds until every message was delivered; 0 elsewhere
     */
    public double tagStream(long bytes, int messages) {
        return TagStream.run(link, calls.next("tagStream"), bytes, messages);
    }

    @Override
    public void accountIn(io.ds4j.zero.ledger.MemoryLedger ledger) {
        staging.accountIn(ledger);
    }

    /** Closes the connections and the node; collectives afterwards are an error. */
    @Override
    public void close() {
        link.close();
        staging.release();
    }
}
