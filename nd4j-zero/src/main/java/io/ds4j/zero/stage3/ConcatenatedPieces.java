package io.ds4j.zero.stage3;

import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.zero.kernels.VectorStorage;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A rank's owned pieces (the owned part of each parameter tensor, in flat order) seen as one vector, the way the
 * offloaded optimizer store ({@code offload_optimizer}) indexes them, without that vector ever existing: a range of it
 * is read from, or written to, the pieces it overlaps. The store then reads each sub-group's gradient straight from
 * the pieces' gradient arrays and writes each updated master straight into the parameters' master stores
 * ({@link MasterShards}: on the device, the host or nvme), so the step holds no whole-shard staging of either.
 *
 * <p>Not thread-safe: the step runs on a kernel pool of one thread (the caller), which reaches the stores one range at
 * a time, as a file-backed master ({@code offload_param nvme}) requires.
 */
final class ConcatenatedPieces {
    private final long[] starts;   // starts[i]: the vector position of piece i's first owned element
    private final int[] lengths;   // owned elements of piece i (0: the rank owns none of that tensor)
    private final long total;

    /** @param lengths the owned elements of each piece, in flat order */
    ConcatenatedPieces(int[] lengths) {
        this.lengths = lengths.clone();
        this.starts = new long[lengths.length];
        long at = 0;
        for (int i = 0; i < lengths.length; i++) {
            starts[i] = at;
            at += lengths[i];
        }
        this.total = at;
    }

    /** Elements of the whole vector: the sum of the owned pieces. */
    long total() {
        return total;
    }

    /** What is done to each part of a range that lies in one piece. */
    @FunctionalInterface
    interface Part {
        /** Elements {@code [from, from + n)} of piece {@code piece} are positions {@code [at, at + n)} of the range. */
        void accept(int piece, int from, int at, int n);
    }

    /** Calls {@code part} for each piece overlapping {@code [from, from + n)}, in order. */
    void forEachPart(long from, int n, Part part) {
        if (from < 0 || n < 0 || from + n > total) {
            throw new IndexOutOfBoundsException("[" + from + ", " + (from + n) + ") is outside the " + total
                    + " owned elements");
        }
        int i = pieceAt(from);
        int done = 0;
        while (done < n) {
            long pos = from + done;
            int inPiece = (int) (pos - starts[i]);
            int k = Math.min(n - done, lengths[i] - inPiece);
            if (k > 0) {
                part.accept(i, inPiece, done, k);
                done += k;
            }
            i++;
        }
    }

    /** The last piece starting at or before {@code pos} (the first of equal starts when pieces are empty). */
    private int pieceAt(long pos) {
        int i = Arrays.binarySearch(starts, pos);
        if (i < 0) {
            return -i - 2;
        }
        while (i > 0 && starts[i - 1] == pos) {
            i--;
        }
        return i;
    }

    /** The pieces' accumulated gradients ({@code grads.get(i)}: piece i's array, null when empty), read-only. */
    VectorStorage.Indirect gradients(List<INDArray> grads) {
        return new VectorStorage.Indirect(new VectorStorage.RangeAccess() {
            @Override
            public void read(long from, float[] dst, int at, int n) {
                forEachPart(from, n, (piece, f, a, k) -> HostFloats.current(grads.get(piece)).get(f, dst, at + a, k));
            }

            @Override
            public void write(long to, float[] src, int at, int n) {
                throw new UnsupportedOperationException("the optimizer step does not write gradients");
            }
        }, 0, total);
    }

    /** The pieces' fp32 masters, wherever {@code masters} keeps them, read and written. */
    VectorStorage.Indirect masters(MasterShards masters) {
        return new VectorStorage.Indirect(new VectorStorage.RangeAccess() {
            @Override
            public void read(long from, float[] dst, int at, int n) {
                forEachPart(from, n, (piece, f, a, k) -> masters.get(piece, f, dst, at + a, k));
            }

            @Override
            public void write(long to, float[] src, int at, int n) {
                forEachPart(to, n, (piece, f, a, k) -> masters.put(piece, f, src, at + a, k));
            }
        }, 0, total);
    }
}
