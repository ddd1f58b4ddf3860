package io.ds4j.dl4j;

import io.ds4j.dl4j.checkpoint.StatePiece;
import io.ds4j.zero.kernels.HostFloats;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where a shard's DL4J updater state ({@link ShardUpdater#state()}) sits in the network's whole DL4J updater state
 * vector, piece by piece, for checkpoints. DL4J lays the whole vector out block after block, each block's state as
 * its {@code k} components one after the other over the block's elements (Adam: all of {@code m}, then all of
 * {@code v}); a shard lays out, per block it cuts, the same {@code k} components over its part. So component
 * {@code j} of the shard's part {@code [from, to)} of block {@code b} sits at
 * {@code stateStart(b) + j * b.length + (from - b.start)} in the whole vector.
 */
public final class UpdaterStatePieces {

    /**
     * A piece: {@code length} elements at {@code local} in the shard's state, at {@code whole} in the whole vector.
     *
     * @param local  offset in the shard's state array
     * @param whole  offset in the whole DL4J updater state vector
     * @param length elements
     */
    record Piece(long local, long whole, long length) { }

    private UpdaterStatePieces() {
    }

    /**
     * @param layout the network's layout
     * @param lo     first flat index of the shard
     * @param hi     one past its last
     * @return the shard's state pieces, in the order of its state array
     * @throws IllegalStateException when an updater's state is not a whole number of components per element
     */
    static List<Piece> of(FlatLayout layout, long lo, long hi) {
        List<Piece> out = new ArrayList<>();
        long local = 0;
        long whole = 0;
        for (FlatLayout.Block b : layout.blocks()) {
            long blockLength = b.end() - b.start();
            int k = components(b, blockLength);
            long from = Math.max(lo, b.start());
            long to = Math.min(hi, b.end());
            if (from < to) {
                long len = to - from;
                for (int j = 0; j < k; j++) {
                    out.add(new Piece(local + j * len, whole + j * blockLength + (from - b.start()), len));
                }
                local += k * len;
            }
            whole += b.updater().stateSize(blockLength);
        }
        return out;
    }

    /**
     * Checkpoint export of a shard's DL4J updater state: its pieces of the whole updater state vector.
     *
     * @param layout the network's layout
     * @param lo     first flat index of the shard
     * @param hi     one past its last
     * @param state  the shard's updater state ({@link ShardUpdater#state()}; null when the updaters keep none)
     * @return copies of the pieces, each at its offset in the whole vector
     */
    public static List<StatePiece> export(FlatLayout layout, long lo, long hi, INDArray state) {
        List<StatePiece> out = new ArrayList<>();
        for (Piece p : of(layout, lo, hi)) {
            out.add(new StatePiece(p.whole(), HostFloats.read(
                    ShardUpdater.slice(state, p.local(), p.local() + p.length()))));
        }
        return out;
    }

    /**
     * Checkpoint import: sets a shard's DL4J updater state from the whole updater state vector.
     *
     * @param layout the network's layout
     * @param lo     first flat index of the shard
     * @param hi     one past its last
     * @param whole  the whole DL4J updater state vector
     * @param state  the shard's updater state, written in place
     */
    public static void restore(FlatLayout layout, long lo, long hi, float[] whole, INDArray state) {
        for (Piece p : of(layout, lo, hi)) {
            HostFloats.write(whole, Math.toIntExact(p.whole()), ShardUpdater.slice(state, p.local(),
                    p.local() + p.length()));
        }
    }

    private static int components(FlatLayout.Block b, long length) {
        long size = b.updater().stateSize(length);
        if (length == 0 || size % length != 0 || b.updater().stateSize(1) * length != size) {
            throw new IllegalStateException("updater " + b.updater().getClass().getSimpleName() + " keeps " + size
                    + " state elements for " + length + " parameters, not a whole number per parameter; ds4j cannot"
                    + " checkpoint it by shards (use an ND4J updater or a DeepSpeed optimizer section)");
        }
        return (int) (size / length);
    }
}
