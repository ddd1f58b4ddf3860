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
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One rank's optimizer over its shards: for every parameter, the owned elements' fp32 values (the parameter's
 * {@link MasterShardStore}, updated in place), their reduced gradient, and the network's own DL4J updater on exactly
 * that range of the flat vector ({@link ShardUpdater}, so DL4J's per-layer updaters, learning-rate schedules and
 * regularization apply as in plain {@code fit()}), or, with a DeepSpeed {@code optimizer} section, a fused kernel on
 * the masters ({@link FusedShardUpdate}) reading the gradient times DeepSpeed's clip factor. The step walks the
 * rank's owned elements in DeepSpeed's sub-groups ({@link SubGroupPlan}, {@code sub_group_size}): each DL4J updater
 * covers one segment of a sub-group, and the step's temporaries (unscaled mixed-precision gradient, kernel staging)
 * hold one sub-group, entered in the ledger as {@code OTHER} for the duration of the step.
 */
final class ShardOptimizer {
    private record Piece(FlatLayout.Slot slot, INDArray master, INDArray grad, ShardGradient gradient) { }

    /** The DL4J updater of one segment of a sub-group, on views of its piece's master and gradient. */
    private record SegmentUpdate(ShardUpdater updater, INDArray master, INDArray grad) { }

    private final List<Piece> pieces = new ArrayList<>();
    private final List<SegmentUpdate> updates = new ArrayList<>();
    private final FusedShardUpdate.Pieces fused;
    private final SubGroupPlan plan;
    private final MemoryLedger ledger;

    /**
     * @param layout the network's flat layout
     * @param params every partitioned parameter, in flat (slot) order, each on a {@link MasterShardStore}
     * @param ledger where gradients, optimizer state and the step's sub-group transient are entered
     * @param owner  the rank and its {@code sub_group_size}
     * @param update a DeepSpeed optimizer run on the masters instead of the DL4J updaters, or null
     */
    ShardOptimizer(FlatLayout layout, List<PartitionedParam> params, MemoryLedger ledger, Owner owner,
                   FusedShardUpdate update) {
        this.fused = update == null ? null : new FusedShardUpdate.Pieces(update, params.size());
        this.ledger = ledger;
        int[] owned = new int[params.size()];
        for (int i = 0; i < params.size(); i++) {
            PartitionedParam p = params.get(i);
            FlatLayout.Slot slot = layout.slots().get(i);
            Range own = p.layout().ownedRange(owner.rank());
            int n = (int) own.length();
            owned[i] = n;
            if (n == 0) {
                pieces.add(new Piece(slot, null, null, null));
                continue;
            }
            INDArray master = MasterShardStore.of(p.store()).owned();
            INDArray grad = Nd4j.create(DataType.FLOAT, n);
            long lo = slot.start() + own.offset();
            ledger.allocate(MemoryCategory.GRADIENTS, MemoryTier.DEVICE, 4L * n, "stage3 gradient shard");
            if (fused != null) {
                fused.add(i, master, grad, ledger, slot.frozen());
            }
            pieces.add(new Piece(slot, master, grad, new ShardGradient(layout, lo, lo + n, grad)));
        }
        this.plan = new SubGroupPlan(owned, owner.subGroupSize());
        if (fused != null) {
            fused.open(ledger, owner.subGroupSize()); // offload_optimizer: the store over the owned elements
        }
        if (fused == null) {
            addUpdaters(layout, params, owner.rank());
        }
    }

    /** The network's DL4J updaters, one per segment of every sub-group, with their state entered in the ledger. */
    private void addUpdaters(FlatLayout layout, List<PartitionedParam> params, int rank) {
        long state = 0;
        for (List<SubGroupPlan.Segment> group : plan.groups()) {
            for (SubGroupPlan.Segment s : group) {
                state += addUpdater(layout, params.get(s.piece()).layout().ownedRange(rank), s);
            }
        }
        ledger.allocate(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE, 4L * state, "stage3 optimizer state");
    }

    /** A DL4J updater on one segment (the measured fact: an updater on a sub-range is bit-identical to the whole). */
    private long addUpdater(FlatLayout layout, Range own, SubGroupPlan.Segment s) {
        Piece pc = pieces.get(s.piece());
        INDArray m = pc.master().get(NDArrayIndex.interval(s.from(), s.from() + s.length()));
        INDArray g = pc.grad().get(NDArrayIndex.interval(s.from(), s.from() + s.length()));
        long lo = pc.slot().start() + own.offset() + s.from();
        ShardUpdater u = ShardUpdater.forShard(layout, lo, lo + s.length(), m, g);
        updates.add(new SegmentUpdate(u, m, g));
        return u.state() == null ? 0 : u.state().length();
    }

    /**
     * Adds parameter {@code i}'s reduced gradient shard (the first owned elements of {@code shardGrad}) to the
     * gradient accumulated since the last step (gradient accumulation over micro-batches).
     */
    void accept(int i, float[] shardGrad) {
        Piece pc = pieces.get(i);
        if (pc.grad() != null) {
            FloatBuffer g = HostView.of(pc.grad());
            int n = (int) pc.grad().length();
            for (int j = 0; j < n; j++) {
                g.put(j, g.get(j) + shardGrad[j]);
            }
            HostView.written(pc.grad());
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
        int words = fused != null ? 2 : ctx.precision().mixed() ? 1 : 0;
        float[] scratch = new float[words * plan.largest()];
        try (MemoryLedger.Allocation t = ledger.allocate(MemoryCategory.OTHER, MemoryTier.DEVICE, 4L * scratch.length,
                "stage3 optimizer step: one sub-group's temporaries")) {
            return step(globalBatch, contributions, ctx, scratch);
        }
    }

    private double step(int globalBatch, int contributions, StepContext ctx, float[] scratch) {
        if (ctx.precision().mixed() && mixedSkips(contributions, ctx, scratch)) {
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
            fused.apply(ctx.iteration(), StepArgs.unscaleAndClip(1.0, norm, ctx.clipping().maxNorm()), plan, scratch,
                    ctx.comm());
            clearGradients();
            return norm;
        }
        double factor = ctx.clipping().scale(norm);
        for (Piece pc : pieces) {
            if (pc.grad() != null && factor != 1.0) {
                pc.gradient().scale(factor);
            }
        }
        for (SegmentUpdate u : updates) {
            u.updater().gradientToUpdate(ctx.iteration(), ctx.epoch());
            u.master().subi(u.grad());
        }
        clearGradients();
        return norm;
    }

    /**
     * Mixed precision: turns the accumulated stored gradients into unscaled fp32 means ({@link Stage3Precision#reduce})
     * and takes the global overflow decision; a skipped step clears the gradients and changes nothing else.
     *
     * @return true when the step is skipped
     */
    private boolean mixedSkips(int contributions, StepContext ctx, float[] scratch) {
        int world = ctx.comm().worldSize();
        for (List<SubGroupPlan.Segment> group : plan.groups()) {
            for (SubGroupPlan.Segment s : group) {
                HostView.of(pieces.get(s.piece()).grad()).get(s.from(), scratch, s.at(), s.length());
            }
            ctx.precision().reduce(scratch, SubGroupPlan.length(group), world, contributions / world);
            for (SubGroupPlan.Segment s : group) {
                HostView.of(pieces.get(s.piece()).grad()).put(s.from(), scratch, s.at(), s.length());
                HostView.written(pieces.get(s.piece()).grad());
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

    /**
     * Whose shards the optimizer steps, and how they are cut.
     *
     * @param rank         the rank
     * @param subGroupSize {@code sub_group_size}: at most this many elements are stepped (and staged) at once
     */
    record Owner(int rank, long subGroupSize) { }
}
