package io.ds4j.dl4j.stage3;

import io.ds4j.dl4j.FlatLayout;
import io.ds4j.dl4j.ShardGradient;
import io.ds4j.dl4j.ShardUpdater;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.step.GradientClipping;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.stage3.PartitionedParam;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One rank's optimizer over its shards: for every parameter, the owned elements' fp32 values (the parameter's
 * {@link MasterShardStore}, updated in place), their reduced gradient, and the network's own DL4J updater on exactly
 * that range of the flat vector ({@link ShardUpdater}, so DL4J's per-layer updaters, learning-rate schedules and
 * regularization apply as in plain {@code fit()}), or, with a DeepSpeed {@code optimizer} section, a fused kernel on
 * the masters ({@link FusedShardUpdate}) reading the gradient times DeepSpeed's clip factor.
 */
final class ShardOptimizer {
    private record Piece(FlatLayout.Slot slot, INDArray master, INDArray grad, ShardUpdater updater,
                         ShardGradient gradient) { }

    private final List<Piece> pieces = new ArrayList<>();
    private final FusedShardUpdate.Pieces fused;

    /**
     * @param layout the network's flat layout
     * @param params every partitioned parameter, in flat (slot) order, each on a {@link MasterShardStore}
     * @param ledger where gradients and optimizer state are entered
     * @param update a DeepSpeed optimizer run on the masters instead of the DL4J updaters, or null
     */
    ShardOptimizer(FlatLayout layout, List<PartitionedParam> params, MemoryLedger ledger, int rank,
                   FusedShardUpdate update) {
        this.fused = update == null ? null : new FusedShardUpdate.Pieces(update);
        for (int i = 0; i < params.size(); i++) {
            PartitionedParam p = params.get(i);
            FlatLayout.Slot slot = layout.slots().get(i);
            Range own = p.layout().ownedRange(rank);
            int n = (int) own.length();
            if (n == 0) {
                pieces.add(new Piece(slot, null, null, null, null));
                continue;
            }
            INDArray master = MasterShardStore.of(p.store()).owned();
            INDArray grad = Nd4j.create(DataType.FLOAT, n);
            long lo = slot.start() + own.offset();
            ledger.allocate(MemoryCategory.GRADIENTS, MemoryTier.DEVICE, 4L * n, "stage3 gradient shard");
            ShardUpdater u = null;
            if (fused != null) {
                fused.add(master, grad, ledger);
            } else {
                u = ShardUpdater.forShard(layout, lo, lo + n, master, grad);
                ledger.allocate(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE,
                        u.state() == null ? 0 : 4L * u.state().length(), "stage3 optimizer state");
            }
            pieces.add(new Piece(slot, master, grad, u, new ShardGradient(layout, lo, lo + n, grad)));
        }
    }

    /**
     * Adds parameter {@code i}'s reduced gradient shard (the first owned elements of {@code shardGrad}) to the
     * gradient accumulated since the last step (gradient accumulation over micro-batches).
     */
    void accept(int i, float[] shardGrad) {
        Piece pc = pieces.get(i);
        if (pc.grad() != null) {
            FloatBuffer g = pc.grad().data().asNioFloat();
            int n = (int) pc.grad().length();
            for (int j = 0; j < n; j++) {
                g.put(j, g.get(j) + shardGrad[j]);
            }
        }
    }

    /**
     * Averages the accumulated gradients as DL4J does (by the global minibatch, or by the number of micro-batch
     * contributions for parameters DL4J does not divide), clips them by DeepSpeed's global norm (the sum of the
     * shards' squared norms over all ranks), runs the updaters, updates the masters in place and clears the gradients
     * for the next accumulation.
     *
     * @return the global gradient norm before clipping
     */
    double step(int globalBatch, int contributions, StepContext ctx) {
        if (ctx.precision().mixed() && mixedSkips(contributions, ctx)) {
            return Double.NaN;
        }
        double local = 0;
        for (Piece pc : pieces) {
            if (pc.grad() != null) {
                if (!ctx.precision().mixed()) {
                    pc.gradient().average(globalBatch, contributions);
                }
                local += pc.gradient().clipSumOfSquares();
            }
        }
        double norm = Math.sqrt(ctx.comm().allReduceSum(local));
        if (fused != null) {
            fused.apply(ctx.iteration(), StepArgs.unscaleAndClip(1.0, norm, ctx.clipping().maxNorm()));
            clearGradients();
            return norm;
        }
        double factor = ctx.clipping().scale(norm);
        for (Piece pc : pieces) {
            if (pc.grad() == null) {
                continue;
            }
            if (factor != 1.0) {
                pc.gradient().scale(factor);
            }
            pc.updater().gradientToUpdate(ctx.iteration(), ctx.epoch());
            pc.master().subi(pc.grad());
            pc.grad().assign(0);
        }
        return norm;
    }

    /**
     * Mixed precision: turns the accumulated stored gradients into unscaled fp32 means ({@link Stage3Precision#reduce})
     * and takes the global overflow decision; a skipped step clears the gradients and changes nothing else.
     *
     * @return true when the step is skipped
     */
    private boolean mixedSkips(int contributions, StepContext ctx) {
        int world = ctx.comm().worldSize();
        for (Piece pc : pieces) {
            if (pc.grad() != null) {
                FloatBuffer b = pc.grad().data().asNioFloat();
                float[] g = new float[(int) pc.grad().length()];
                b.get(0, g);
                ctx.precision().reduce(g, g.length, world, contributions / world);
                b.put(0, g);
            }
        }
        if (!ctx.precision().decide(ctx.comm())) {
            return false;
        }
        clearGradients();
        return true;
    }

    private void clearGradients() {
        for (Piece pc : pieces) {
            if (pc.grad() != null) {
                pc.grad().assign(0);
            }
        }
    }

    /** Stops the fused kernel's threads, if any. */
    void close() {
        if (fused != null) {
            fused.close();
        }
    }

    /**
     * What one optimizer step needs besides the gradients.
     *
     * @param comm      the rank's group (the global norm is summed over it)
     * @param clipping  {@code gradient_clipping}
     * @param iteration DL4J's iteration count
     * @param epoch     DL4J's epoch count
     * @param precision the rank's mixed-precision state (inert in fp32)
     */
    record StepContext(Collectives comm, GradientClipping clipping, int iteration, int epoch,
                       Stage3Precision precision) { }
}
