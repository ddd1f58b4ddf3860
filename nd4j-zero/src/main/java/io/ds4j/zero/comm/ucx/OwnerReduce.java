package io.ds4j.zero.comm.ucx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import io.ds4j.zero.comm.ucx.Staging.Use;

import org.openucx.jucx.UcxUtils;

/**
 * The pipelined owner-sum that the reduce-scatter, all-reduce, reduce, all-gather and broadcast of
 * {@link UcxCollectives} are made of, through a bounded set of {@link Staging} slots. The vector is N blocks, block q
 * owned by rank q, cut into chunks of one slot. Every rank sends chunk c of block q to rank q; the owner receives the
 * chunks into slots, adds the N contributions of each chunk in rank order as soon as they have arrived (bit-identical
 * to {@link io.ds4j.zero.comm.InProcessCollectives}) and, when gathering, sends each summed chunk on to every peer at
 * once while later chunks are still arriving. A chunk is summed right after it arrived, still in cache.
 *
 * <p>Slots are recycled as chunks complete, so the native memory held is the staging budget whatever N and the
 * length. Messages are posted chunk by chunk (every peer's chunk c before any chunk c+1) and contributions are summed
 * in rank order, so a rank waiting for a slot only ever waits for an earlier chunk, or an earlier rank's contribution
 * to the same chunk, which needs no slot that it holds: the pipeline cannot deadlock whatever the number of slots.
 * With fewer contribution slots than peers the sum is folded in steps: the partial sum stays in the destination, or
 * in the first contribution's slot while the destination still holds this rank's own contribution.
 *
 * <p>Native blocks go to UCX from where they lie (and a peer's sum is received straight into its block, once this
 * rank's contribution to it has left). {@code float[]} blocks are copied into a slot a chunk at a time on the way out
 * and out of one on the way in; this rank's own block is read from the array where it lies.
 */
final class OwnerReduce {
    /** Floats per chunk (1 MiB): large enough for UCX's zero-copy protocols, small enough to stay in cache. */
    static final int CHUNK = Staging.SLOT_MIB << 18;
    private static final int CONTRIBUTIONS = 0;
    private static final int SUMS = 1;

    /** Messages whose slot goes back once all of them are done. */
    private record Outgoing(int[] handles, ByteBuffer slot, Use use) {
    }

    /** A peer's summed chunk arriving in a slot, for block q at {@code from}. */
    private record Incoming(int handle, ByteBuffer slot, int q, int from, int count) {
    }

    private final Round round;
    private final int rank;
    private final int n;
    private final Blocks in;
    private final Blocks out;
    private final Staging staging;
    private final boolean reduce;
    private final boolean gather;
    private final int chunk;
    private final int mine;
    private final int k;
    private final int most;
    private final RankOrderSum adder = new RankOrderSum();
    private final int[][] contribution;
    private final ByteBuffer[][] contributionSlot;
    private final int[][] sent;
    private final List<Outgoing> outgoing = new ArrayList<>();
    private final List<Incoming> incoming = new ArrayList<>();
    private final int[] gathered;
    private int postC;
    private int postQ;
    private int sendC;
    private int sendI;
    private int gatherC;
    private int gatherI;
    private int foldC;
    private int foldNext;
    private FloatBuffer partial;
    private ByteBuffer partialSlot;
    private ByteBuffer sumSlot;

    private OwnerReduce(Round round, int rank, Blocks in, Blocks out, Staging staging, boolean reduce,
            boolean gather) {
        this.round = round;
        this.rank = rank;
        this.n = in.len.length;
        this.in = in;
        this.out = out;
        this.staging = staging;
        this.reduce = reduce;
        this.gather = gather;
        this.chunk = staging.slotFloats();
        this.mine = in.len[rank];
        this.k = chunks(mine);
        int m = 0;
        sent = new int[n][];
        gathered = new int[n];
        for (int q = 0; q < n; q++) {
            sent[q] = new int[chunks(in.len[q])];
            java.util.Arrays.fill(sent[q], -1);
            m = q == rank ? m : Math.max(m, chunks(in.len[q]));
        }
        this.most = m;
        contribution = new int[reduce ? k : 0][n];
        contributionSlot = new ByteBuffer[reduce ? k : 0][n];
        for (int[] c : contribution) {
            java.util.Arrays.fill(c, -1);
        }
        sendC = reduce ? 0 : most;
        gatherC = gather && out.onHeap() ? 0 : most;
        staging.share(reduce, reduce && in.onHeap(), gather && out.onHeap(), gather && out.onHeap());
    }

    /**
     * Runs the owner-sum.
     *
     * @param round   the collective's round (its phase 0 carries contributions, phase 1 sums)
     * @param rank    this rank
     * @param in      the contributions, block q for rank q (every rank passes the same lengths); without
     *                {@code reduce}, block {@code rank} is what this rank gives the others
     * @param out     where this rank's sum of its own block goes ({@code out} block {@code rank}, may be the same
     *                memory as {@code in}'s) and, when gathering, where peer q's lands (block q)
     * @param reduce  whether to sum contributions (else this rank's block of {@code in} is passed on as it is)
     * @param gather  whether every rank receives every block's sum
     */
    static void run(Round round, int rank, Blocks in, Blocks out, Staging staging, boolean reduce, boolean gather) {
        new OwnerReduce(round, rank, in, out, staging, reduce, gather).run();
    }

    private void run() {
        while (true) {
            boolean quiet = round.poll();
            boolean moved = sendContributions() | receiveContributions() | release() | fold() | receiveSums()
                    | unstageSums();
            if (quiet && !moved && done()) {
                return;
            }
            if (moved) {
                round.moved();
            } else {
                round.pause();
            }
        }
    }

    private boolean done() {
        boolean gatheredAll = gatherC == most;
        for (int q = 0; q < n && gather && !out.onHeap(); q++) {
            gatheredAll &= q == rank || gathered[q] == sent[q].length;
        }
        return sendC == most && postC == (reduce ? k : 0) && foldC == k && gatheredAll && outgoing.isEmpty()
                && incoming.isEmpty();
    }

    /** Chunk c of block q to rank q, every peer's chunk c before any chunk c + 1 (a slot each from an array). */
    private boolean sendContributions() {
        boolean moved = false;
        while (sendC < most) {
            int q = (rank + 1 + sendI) % n;
            if (sendC < sent[q].length) {
                int from = sendC * chunk;
                int count = size(in.len[q], sendC);
                if (in.onHeap()) {
                    if (!staging.available(Use.SEND)) {
                        return moved;
                    }
                    ByteBuffer s = staging.take(Use.SEND);
                    long t0 = System.nanoTime();
                    Staging.floats(s, count).put(0, in.view(q, from, count), 0, count);
                    round.meter().staging(System.nanoTime() - t0);
                    sent[q][sendC] = round.send(q, Staging.address(s), 4L * count, CONTRIBUTIONS);
                    outgoing.add(new Outgoing(new int[] {sent[q][sendC]}, s, Use.SEND));
                } else {
                    sent[q][sendC] = round.send(q, in.address(q, from), 4L * count, CONTRIBUTIONS);
                }
                moved = true;
            }
            if (++sendI == n - 1) {
                sendI = 0;
                sendC++;
            }
        }
        return moved;
    }

    /** Receives for this rank's chunks, chunk by chunk and each in rank order, as contribution slots allow. */
    private boolean receiveContributions() {
        boolean moved = false;
        while (reduce && postC < k) {
            if (postQ != rank) {
                if (!staging.available(Use.CONTRIBUTION)) {
                    return moved;
                }
                ByteBuffer s = staging.take(Use.CONTRIBUTION);
                contributionSlot[postC][postQ] = s;
                contribution[postC][postQ] = round.recv(postQ, Staging.address(s), 4L * size(mine, postC),
                        CONTRIBUTIONS);
                moved = true;
            }
            if (++postQ == n) {
                postQ = 0;
                postC++;
            }
        }
        return moved;
    }

    /** Gives back the slots of sends that every peer has received. */
    private boolean release() {
        boolean moved = false;
        for (Iterator<Outgoing> it = outgoing.iterator(); it.hasNext();) {
            Outgoing o = it.next();
            boolean all = true;
            for (int h : o.handles()) {
                all &= round.isDone(h);
            }
            if (all) {
                staging.give(o.use(), o.slot());
                it.remove();
                moved = true;
            }
        }
        return moved;
    }

    /**
     * Sums this rank's chunks in order: a chunk once every contribution is there, or in steps when its receives wait
     * for a slot; then sends the sum on when gathering.
     */
    private boolean fold() {
        boolean moved = false;
        while (foldC < k) {
            int c = foldC;
            int from = c * chunk;
            int count = size(mine, c);
            int b = reduce ? foldNext : n;
            while (b < n && (b == rank || (contribution[c][b] >= 0 && round.isDone(contribution[c][b])))) {
                b++;
            }
            boolean last = b == n;
            int terms = (partial != null ? 1 : 0) + (reduce ? b - foldNext : 1);
            boolean starved = postC == c && !staging.available(Use.CONTRIBUTION);
            if (!last && !(starved && terms >= 2)) {
                return moved;
            }
            if (gather && out.onHeap() && sumSlot == null) {
                if (!staging.available(Use.SUM_OUT)) {
                    return moved;
                }
                sumSlot = staging.take(Use.SUM_OUT);
            }
            FloatBuffer[] src = new FloatBuffer[terms];
            int t = 0;
            if (partial != null) {
                src[t++] = partial;
            }
            for (int q = reduce ? foldNext : rank; q < (reduce ? b : rank + 1); q++) {
                src[t++] = q == rank ? in.view(rank, from, count) : Staging.floats(contributionSlot[c][q], count);
            }
            FloatBuffer ownOut = reduce || !out.same(rank, in, rank) ? out.view(rank, from, count) : null;
            FloatBuffer sums = sumSlot == null ? null : Staging.floats(sumSlot, count);
            ByteBuffer keep = null;
            FloatBuffer[] dst;
            if (last) {
                dst = new FloatBuffer[] {ownOut, sums};
            } else if (sums != null) {
                dst = new FloatBuffer[] {sums};
            } else if (!out.same(rank, in, rank) || rank < b) {
                dst = new FloatBuffer[] {ownOut};
            } else { // the destination still holds this rank's contribution: the partial sum waits in a slot
                keep = partialSlot != null ? partialSlot : contributionSlot[c][foldNext];
                dst = new FloatBuffer[] {Staging.floats(keep, count)};
            }
            if (ownOut != null || sums != null) {
                long t0 = System.nanoTime();
                adder.sum(src, terms, dst, count);
                round.meter().sum(System.nanoTime() - t0);
            }
            for (int q = reduce ? foldNext : n; q < b; q++) {
                if (q != rank) {
                    if (contributionSlot[c][q] != keep) {
                        staging.give(Use.CONTRIBUTION, contributionSlot[c][q]);
                    }
                    contributionSlot[c][q] = null;
                }
            }
            if (partialSlot != null && partialSlot != keep) {
                staging.give(Use.CONTRIBUTION, partialSlot);
            }
            partialSlot = keep;
            if (last) {
                sendSum(from, count);
                partial = null;
                foldC++;
                foldNext = 0;
            } else {
                partial = dst[0];
                foldNext = b;
            }
            moved = true;
        }
        return moved;
    }

    /** This rank's summed chunk to every peer at once, from its block or from the sum slot. */
    private void sendSum(int from, int count) {
        if (!gather) {
            return;
        }
        long a = sumSlot != null ? Staging.address(sumSlot) : out.address(rank, from);
        int[] h = new int[n - 1];
        for (int i = 1; i < n; i++) {
            h[i - 1] = round.send((rank + i) % n, a, 4L * count, SUMS);
        }
        if (sumSlot != null) {
            outgoing.add(new Outgoing(h, sumSlot, Use.SUM_OUT));
            sumSlot = null;
        }
    }

    /**
     * Receives the peers' sums: straight into their blocks of native memory, each chunk once this rank's own
     * contribution to it has left; for an array, into slots, chunk by chunk.
     */
    private boolean receiveSums() {
        boolean moved = false;
        for (int i = 1; i < n && !out.onHeap() && gather; i++) {
            int q = (rank + i) % n;
            while (gathered[q] < sent[q].length && (!reduce || (sent[q][gathered[q]] >= 0
                    && round.isDone(sent[q][gathered[q]])))) {
                int c = gathered[q]++;
                round.recv(q, out.address(q, c * chunk), 4L * size(in.len[q], c), SUMS);
                moved = true;
            }
        }
        while (out.onHeap() && gatherC < most) {
            int q = (rank + 1 + gatherI) % n;
            if (gatherC < sent[q].length) {
                if (!staging.available(Use.SUM_IN)) {
                    return moved;
                }
                ByteBuffer s = staging.take(Use.SUM_IN);
                int count = size(in.len[q], gatherC);
                incoming.add(new Incoming(round.recv(q, Staging.address(s), 4L * count, SUMS), s, q,
                        gatherC * chunk, count));
                moved = true;
            }
            if (++gatherI == n - 1) {
                gatherI = 0;
                gatherC++;
            }
        }
        return moved;
    }

    /** Copies peers' sums that have arrived in slots into the array and gives the slots back. */
    private boolean unstageSums() {
        boolean moved = false;
        for (Iterator<Incoming> it = incoming.iterator(); it.hasNext();) {
            Incoming m = it.next();
            if (round.isDone(m.handle())) {
                long t0 = System.nanoTime();
                out.view(m.q(), m.from(), m.count()).put(0, Staging.floats(m.slot(), m.count()), 0, m.count());
                round.meter().staging(System.nanoTime() - t0);
                staging.give(Use.SUM_IN, m.slot());
                it.remove();
                moved = true;
            }
        }
        return moved;
    }

    /** A float view of native memory. */
    static FloatBuffer floats(long address, int count) {
        if (count == 0) {
            return FloatBuffer.allocate(0);
        }
        return UcxUtils.getByteBufferView(address, 4L * count).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private int chunks(int floats) {
        return (floats + chunk - 1) / chunk;
    }

    private int size(int floats, int c) {
        return Math.min(chunk, floats - c * chunk);
    }
}
