package io.ds4j.zero.comm.ucx;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import org.openucx.jucx.UcxUtils;

/**
 * The pipelined owner-sum over native memory that the reduce-scatter and the all-reduce of {@link UcxCollectives} are
 * made of. The vector is N blocks, block q owned by rank q. Every rank sends block q of its vector to rank q in
 * chunks; the owner adds the N contributions of each chunk in rank order as soon as that chunk has arrived from every
 * peer (bit-identical to {@link io.ds4j.zero.comm.InProcessCollectives}), and, for an all-reduce, sends each summed
 * chunk on to every peer at once, while later chunks are still arriving. A peer's summed chunk is received over this
 * rank's own block-q chunk once that chunk has left, so the all-reduce needs no second buffer for the vector. Sends
 * and receives of all peers are in flight together; a chunk is small enough to stay in cache while it is summed.
 */
final class OwnerReduce {
    /** Floats per chunk at most (4 MiB): large enough for UCX's zero-copy protocols, small enough to pipeline. */
    static final int CHUNK = 1 << 20;
    /** Floats per chunk at least (1 MiB): a smaller block is cut into fewer than {@link #DEPTH} chunks. */
    static final int MIN_CHUNK = 1 << 18;
    /**
     * Chunks a block is cut into where the bounds allow: with only 2 (a 16 MiB all-reduce of 2 ranks in 4 MiB chunks)
     * half of the work is the pipeline's tail, the last chunk's sum and transfer with nothing to overlap; 1 MiB chunks
     * measured 1.1-1.2x faster there (3 interleaved pairs on the shared machine).
     */
    static final int DEPTH = 8;
    private static final int CONTRIBUTIONS = 0;
    private static final int SUMS = 1;

    private final Round round;
    private final int rank;
    private final int n;
    private final long[] block;
    private final int[] len;

    private OwnerReduce(Round round, int rank, long[] block, int[] len) {
        this.round = round;
        this.rank = rank;
        this.n = block.length;
        this.block = block;
        this.len = len;
    }

    /**
     * Runs the owner-sum.
     *
     * @param round   the collective's round (its phase 0 carries contributions, phase 1 sums)
     * @param rank    this rank
     * @param block   native address of block q of this rank's vector, for each rank q
     * @param len     floats in block q (every rank passes the same lengths)
     * @param out     where this rank's sum of its own block goes (may be {@code block[rank]})
     * @param scratch native room for {@code (N-1) * len[rank]} floats: the peers' contributions
     * @param gather  whether to all-gather the sums: peer q's sum then lands at {@code block[q]}
     */
    static void run(Round round, int rank, long[] block, int[] len, long out, long scratch, boolean gather) {
        new OwnerReduce(round, rank, block, len).run(out, scratch, gather);
    }

    private void run(long out, long scratch, boolean gather) {
        int mine = len[rank];
        int k = chunks(mine);
        int[][] contributions = new int[n][k];
        int[][] sent = new int[n][];
        for (int q = 0; q < n; q++) {
            if (q != rank) {
                for (int c = 0; c < k; c++) {
                    long at = (long) slot(q) * mine + (long) c * chunk(mine);
                    contributions[q][c] = round.recv(q, scratch + 4 * at, 4L * size(mine, c), CONTRIBUTIONS);
                }
                sent[q] = new int[chunks(len[q])];
                for (int c = 0; c < sent[q].length; c++) {
                    sent[q][c] = round.send(q, block[q] + 4L * c * chunk(len[q]), 4L * size(len[q], c), CONTRIBUTIONS);
                }
            }
        }
        int summed = 0;
        int[] gathering = new int[n];
        while (true) {
            boolean quiet = round.poll();
            boolean moved = false;
            while (summed < k && arrived(contributions, summed)) {
                long t0 = System.nanoTime();
                sum(summed, mine, out, scratch);
                round.meter().sum(System.nanoTime() - t0);
                for (int q = 0; q < n && gather; q++) {
                    if (q != rank) {
                        round.send(q, out + 4L * summed * chunk(mine), 4L * size(mine, summed), SUMS);
                    }
                }
                summed++;
                moved = true;
            }
            for (int q = 0; q < n && gather; q++) {
                while (q != rank && gathering[q] < sent[q].length && round.isDone(sent[q][gathering[q]])) {
                    int c = gathering[q]++;
                    round.recv(q, block[q] + 4L * c * chunk(len[q]), 4L * size(len[q], c), SUMS);
                    moved = true;
                }
            }
            if (quiet && !moved && summed == k && (!gather || allGathering(gathering, sent))) {
                return;
            }
            if (!moved) {
                round.pause();
            } else {
                round.moved();
            }
        }
    }

    private boolean arrived(int[][] contributions, int c) {
        for (int q = 0; q < n; q++) {
            if (q != rank && !round.isDone(contributions[q][c])) {
                return false;
            }
        }
        return true;
    }

    private boolean allGathering(int[] gathering, int[][] sent) {
        for (int q = 0; q < n; q++) {
            if (q != rank && gathering[q] < sent[q].length) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code out} chunk c = the rank-order sum of chunk c of every rank's own-block contribution, in native memory.
     * When {@code out} is this rank's own contribution and rank 0 and 1 come before it, the sum would overwrite it
     * before it is added: then it accumulates over rank 0's contribution (already received here) and is copied out.
     */
    private void sum(int c, int mine, long out, long scratch) {
        int from = c * chunk(mine);
        int count = size(mine, c);
        FloatBuffer[] src = new FloatBuffer[n];
        for (int q = 0; q < n; q++) {
            long a = q == rank ? block[rank] + 4L * from : scratch + 4 * ((long) slot(q) * mine + from);
            src[q] = floats(a, count);
        }
        FloatBuffer dst = floats(out + 4L * from, count);
        if (rank >= 2 && out == block[rank]) {
            RankOrderSum.sum(src, src[0], count);
            dst.put(0, src[0], 0, count);
        } else {
            RankOrderSum.sum(src, dst, count);
        }
    }

    /** A float view of native memory. */
    static FloatBuffer floats(long address, int count) {
        if (count == 0) {
            return FloatBuffer.allocate(0);
        }
        return UcxUtils.getByteBufferView(address, 4L * count).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** Floats per chunk of a block of {@code floats}: the same on every rank, which all know every block's length. */
    static int chunk(int floats) {
        return Math.max(MIN_CHUNK, Math.min(CHUNK, (floats + DEPTH - 1) / DEPTH));
    }

    private static int chunks(int floats) {
        return (int) ((floats + (long) chunk(floats) - 1) / chunk(floats));
    }

    private static int size(int floats, int c) {
        int chunk = chunk(floats);
        return Math.min(chunk, floats - c * chunk);
    }

    private int slot(int q) {
        return q < rank ? q : q - 1;
    }
}
