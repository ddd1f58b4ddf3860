package io.ds4j.zero.update;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.kernels.FusedLamb;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.OptimizerBuffers;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.shard.Range;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Lamb's trust ratio per tensor, as DeepSpeed's FusedLamb computes it, for a rank that updates the range
 * {@code [from, to)} of the flat vector: the range's part of every parameter tensor (a DL4J parameter: one
 * DL4J parameter) is a piece; each step the first pass gives each piece's {@code ||p||^2} and {@code ||u||^2},
 * the sums over ranks of every tensor's two values are all-reduced in one collective (a tensor split across ranks
 * gets its whole norms; without a group, the range holds whole tensors), and the second pass applies each tensor's
 * clamped ratio to its piece.
 *
 * @param tensors the model's parameter tensors
 * @param pieces  this range's pieces, in flat order
 * @param comm    the ranks to sum the norms over, or null when every rank updates whole tensors (stage 0, one rank)
 * @param skipsFrozen true when the range holds frozen parameters (a DL4J NoOp updater), which have no
 *                    piece: the optimizer steps the pieces one by one and leaves the frozen elements untouched
 */
public record LambTensors(int tensors, List<Piece> pieces, Collectives comm, boolean skipsFrozen) {

    /**
     * @param tensor the tensor's index among the model's slots
     * @param local  the piece, relative to the start of the range
     */
    public record Piece(int tensor, Range local) { }

    /**
     * The pieces of {@code [from, to)} over the model's parameter tensors, frozen tensors left out.
     *
     * @param slots  each tensor's range of the flat vector, in flat order
     * @param frozen whether tensor {@code t} is frozen (never stepped)
     * @param from   the range's first element
     * @param to     one past its last
     * @param comm   the ranks to sum norms over, or null
     * @return the tensors
     */
    public static LambTensors of(List<Range> slots, IntPredicate frozen, long from, long to, Collectives comm) {
        List<Piece> pieces = new ArrayList<>();
        boolean anyFrozen = false;
        for (int t = 0; t < slots.size(); t++) {
            long lo = Math.max(from, slots.get(t).offset());
            long hi = Math.min(to, slots.get(t).end());
            if (lo < hi && frozen.test(t)) {
                anyFrozen = true;
            } else if (lo < hi) {
                pieces.add(new Piece(t, new Range(lo - from, hi - lo)));
            }
        }
        return new LambTensors(slots.size(), List.copyOf(pieces), comm, anyFrozen);
    }

    /** One Lamb update of the range's buffers. */
    public void step(FusedLamb lamb, OptimizerBuffers b, StepArgs args, KernelPool pool) {
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
