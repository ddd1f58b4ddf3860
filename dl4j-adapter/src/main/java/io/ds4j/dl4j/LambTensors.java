package io.ds4j.dl4j;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.kernels.FusedLamb;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.OptimizerBuffers;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.shard.Range;
import java.util.ArrayList;
import java.util.List;

/**
 * Lamb's trust ratio per tensor, as DeepSpeed's FusedLamb computes it, for a rank that updates the range
 * {@code [from, to)} of the flat vector: the range's part of every parameter tensor (a DL4J parameter: one
 * {@link FlatLayout.Slot}) is a piece; each step the first pass gives each piece's {@code ||p||^2} and {@code ||u||^2},
 * the sums over ranks of every tensor's two values are all-reduced in one collective (a tensor split across ranks
 * gets its whole norms; without a group, the range holds whole tensors), and the second pass applies each tensor's
 * clamped ratio to its piece.
 *
 * @param tensors the model's parameter tensors
 * @param pieces  this range's pieces, in flat order
 * @param comm    the ranks to sum the norms over, or null when every rank updates whole tensors (stage 0, one rank)
 * @param skipsFrozen true when the range holds frozen parameters ({@link FlatLayout.Slot#frozen()}), which have no
 *                    piece: the optimizer steps the pieces one by one and leaves the frozen elements untouched
 */
record LambTensors(int tensors, List<Piece> pieces, Collectives comm, boolean skipsFrozen) {

    /**
     * @param tensor the tensor's index among the model's slots
     * @param local  the piece, relative to the start of the range
     */
    record Piece(int tensor, Range local) { }

    /** The pieces of {@code [from, to)} over the slots of {@code flat}, frozen slots left out. */
    static LambTensors of(FlatLayout flat, long from, long to, Collectives comm) {
        List<Piece> pieces = new ArrayList<>();
        List<FlatLayout.Slot> slots = flat.slots();
        boolean frozen = false;
        for (int t = 0; t < slots.size(); t++) {
            long lo = Math.max(from, slots.get(t).start());
            long hi = Math.min(to, slots.get(t).end());
            if (lo < hi && slots.get(t).frozen()) {
                frozen = true;
            } else if (lo < hi) {
                pieces.add(new Piece(t, new Range(lo - from, hi - lo)));
            }
        }
        return new LambTensors(slots.size(), List.copyOf(pieces), comm, frozen);
    }

    /** One Lamb update of the range's buffers. */
    void step(FusedLamb lamb, OptimizerBuffers b, StepArgs args, KernelPool pool) {
        double[] sq = new double[2 * tensors];
        for (Piece p : pieces) {
            double[] n = lamb.norms(b, args, pool, p.local());
            sq[2 * p.tensor()] += n[0];
            sq[2 * p.tensor() + 1] += n[1];
        }
        double[] total = comm == null ? sq : comm.allReduceSum(sq);
        for (Piece p : pieces) {
            lamb.apply(b, args, pool, p.local(),
                    lamb.coefficients().trustRatio(total[2 * p.tensor()], total[2 * p.tensor() + 1]));
        }
    }
}
