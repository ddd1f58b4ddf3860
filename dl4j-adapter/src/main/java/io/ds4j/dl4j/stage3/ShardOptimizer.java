package io.ds4j.dl4j.stage3;

import io.ds4j.zero.stage3.PiecewiseShardUpdate;
import io.ds4j.zero.stage3.MasterShards;
import io.ds4j.zero.stage3.SubGroupPlan;
import io.ds4j.zero.stage3.Held;
import io.ds4j.dl4j.RankPrecision;
import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.dl4j.FlatLayout;
import io.ds4j.dl4j.ShardGradient;
import io.ds4j.dl4j.ShardUpdater;
import io.ds4j.dl4j.checkpoint.EngineState;
import io.ds4j.dl4j.checkpoint.StatePiece;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.step.GradientClipping;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.stage3.PartitionedParam;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One rank's optimizer over its shards: for every parameter, the owned elements' fp32 master ({@link MasterShards}),
 * their reduced gradient, and the network's own DL4J updater on exactly that range of the flat vector
 * ({@link ShardUpdater}, so DL4J's per-layer updaters, learning-rate schedules and regularization apply as in plain
 * {@code fit()}), or, with a DeepSpeed {@code optimizer} section, a fused kernel on the masters
 * ({@link PiecewiseShardUpdate}) reading the gradient times DeepSpeed's clip factor. The step walks the rank's owned
 * elements in DeepSpeed's sub-groups ({@link SubGroupPlan}, {@code sub_group_size}): each DL4J updater covers one
 * segment of a sub-group, and the step's temporaries (unscaled mixed-precision gradient, kernel staging) hold one
 * sub-group, entered in the ledger as {@code OTHER} for the duration of the step. {@link SegmentUpdaters} holds the
 * DL4J updaters and brings masters offloaded with {@code offload_param} to them.
 */
final class ShardOptimizer {
    private record Piece(FlatLayout.Slot slot, INDArray grad, ShardGradient gradient) { }

    private final List<Piece> pieces = new ArrayList<>();
    private final List<MemoryLedger.Allocation> held = new ArrayList<>();
    private final MasterShards masters;
    private final PiecewiseShardUpdate.Pieces fused;
    private final SubGroupPlan plan;
    private final SegmentUpdaters updaters; // the network's DL4J updaters, or null with the fused kernel
    private final MemoryLedger ledger;
    private final long[] starts; // each parameter's first owned element in the flat vector
    private final boolean[] fresh; // per parameter: nothing accepted into its gradient since the last step

    /**
     * @param layout the network's flat layout
     * @param params every partitioned parameter, in flat (slot) order
     * @param ledger where gradients, optimizer state and the step's sub-group transient are entered
     * @param owner  the rank and its {@code sub_group_size}
     * @param update a DeepSpeed optimizer run on the masters instead of the DL4J updaters, or null
     */
    ShardOptimizer(FlatLayout layout, List<PartitionedParam> params, MemoryLedger ledger, Owner owner,
                   PiecewiseShardUpdate update) {
        this.masters = MasterShards.of(params);
        this.fused = update == null ? null : new PiecewiseShardUpdate.Pieces(update, masters, params.size());
        this.ledger = ledger;
        this.starts = new long[params.size()];
        this.fresh = new boolean[params.size()];
        java.util.Arrays.fill(fresh, true);
        int[] owned = new int[params.size()];
        for (int i = 0; i < params.size(); i++) {
            PartitionedParam p = params.get(i);
            FlatLayout.Slot slot = layout.slots().get(i);
            Range own = p.layout().ownedRange(owner.rank());
            int n = (int) own.length();
            owned[i] = n;
            starts[i] = slot.start() + own.offset();
            INDArray grad = n == 0 ? null : Nd4j.create(DataType.FLOAT, n);
            if (fused != null) {
                fused.add(grad, ledger, slot.frozen());
            }
            if (n == 0) {
                pieces.add(new Piece(slot, null, null));
                continue;
            }
            held.add(ledger.allocate(MemoryCategory.GRADIENTS, MemoryTier.DEVICE, Held.bytes(grad),
                    "stage3 gradient shard"));
            long lo = slot.start() + own.offset();
            pieces.add(new Piece(slot, grad, new ShardGradient(layout, lo, lo + n, grad, fused == null)));
        }
        this.plan = new SubGroupPlan(owned, owner.subGroupSize());
        if (fused != null) {
            fused.open(ledger, owner.subGroupSize()); // offload_optimizer: the store over the owned elements
            this.updaters = null;
        } else {
            List<INDArray> grads = new ArrayList<>();
            pieces.forEach(pc -> grads.add(pc.grad()));
            this.updaters = new SegmentUpdaters(layout, masters, plan, ledger, grads, starts);
            held.add(ledger.allocate(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE, updaters.stateBytes(),
                    "stage3 optimizer state"));
        }
    }

    /**
     * Adds parameter {@code i}'s reduced gradient shard (the first owned elements of {@code shardGrad}, by absolute
     * index from 0) to the gradient accumulated since the last step (gradient accumulation over micro-batches).
     */
    void accept(int i, FloatBuffer shardGrad) {
        fresh[i] = false;
        Piece pc = pieces.get(i);
        if (pc.grad() != null) {
            FloatBuffer g = HostFloats.current(pc.grad());
            int n = (int) pc.grad().length();
            for (int j = 0; j < n; j++) {
                g.put(j, g.get(j) + shardGrad.get(j));
            }
            HostFloats.written(pc.grad());
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
        // the fused kernel stages masters and gradients here unless it steps them in place (on the device, or in
        // offload_optimizer's store); mixed precision unscales one sub-group's gradient here
        // (one sub-group's gradient is unscaled a tile of at most MIXED_TILE elements at a time: element-wise)
        int length = fused != null && !fused.stagesNothing() ? 2 * plan.largest()
                : ctx.precision().mixed() ? Math.min(plan.largest(), MIXED_TILE) : 0;
        float[] scratch = new float[length];
        try (MemoryLedger.Allocation t = ledger.allocate(MemoryCategory.OTHER, MemoryTier.DEVICE, 4L * scratch.length,
                "stage3 optimizer step: one sub-group's temporaries")) {
            return step(globalBatch, contributions, ctx, scratch);
        }
    }

    /** Elements of a sub-group's gradient unscaled at a time in mixed precision ({@link #mixedSkips}). */
    private static final int MIXED_TILE = 4096;

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
        double factor = ctx.clipping().multiplier(norm);
        if (fused != null) {
            fused.apply(ctx.iteration(), factor, plan, scratch, ctx.comm());
            clearGradients();
            return norm;
        }
        for (Piece pc : pieces) {
            if (pc.grad() != null && factor != 1.0) {
                pc.gradient().scale(factor);
            }
        }
        updaters.step(ctx);
        clearGradients();
        return norm;
    }

    /**
     * Mixed precision: turns the accumulated stored gradients into unscaled fp32 means ({@link RankPrecision#reduce})
     * and takes the global overflow decision; a skipped step clears the gradients and changes nothing else.
     *
     * @return true when the step is skipped
     */
    private boolean mixedSkips(int contributions, StepContext ctx, float[] scratch) {
        int world = ctx.comm().worldSize();
        int tile = Math.max(1, Math.min(scratch.length, MIXED_TILE));
        for (List<SubGroupPlan.Segment> group : plan.groups()) {
            for (SubGroupPlan.Segment s : group) {
                INDArray grad = pieces.get(s.piece()).grad();
                FloatBuffer g = HostFloats.current(grad);
                for (int k = 0; k < s.length(); k += tile) {
                    int len = Math.min(tile, s.length() - k);
                    g.get(s.from() + k, scratch, 0, len);
                    ctx.precision().reduce(scratch, len, world, contributions / world);
                    g.put(s.from() + k, scratch, 0, len);
                }
                HostFloats.written(grad);
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
        java.util.Arrays.fill(fresh, true);
    }

    /**
     * Parameter {@code i}'s gradient partition, for its reduce-scatter to write the rank's shard straight into, when
     * nothing is accumulated in it since the last step and it is exactly {@code length} elements (the shard holds no
     * padding); else null, and the shard goes through {@link #accept}. Follow the write with {@link #filled}.
     */
    INDArray target(int i, int length) {
        INDArray g = pieces.get(i).grad();
        return fresh[i] && g != null && g.length() == length ? g : null;
    }

    /**
     * After {@code i}'s shard was written into {@link #target}: the partition as {@link #accept} leaves it, the sum
     * {@code 0 + shard} (which turns -0 into +0), so the step is bit-identical either way.
     */
    void filled(int i) {
        fresh[i] = false;
        INDArray g = pieces.get(i).grad();
        FloatBuffer b = HostFloats.current(g);
        for (int j = (int) g.offset(), end = j + (int) g.length(); j < end; j++) {
            b.put(j, 0f + b.get(j));
        }
        HostFloats.written(g);
    }

    /**
     * Checkpoint export, between steps: this rank's pieces of the canonical vectors
     * ({@link io.ds4j.dl4j.checkpoint.EngineState}), copied: the fp32 master of every owned piece (wherever
     * {@link MasterShards} keeps it) and the optimizer state (the DL4J updaters' state segment by segment, or the
     * fused kernel's state words, also from an {@code offload_optimizer} store).
     */
    Map<String, List<StatePiece>> exportState() {
        Map<String, List<StatePiece>> out = new HashMap<>();
        List<StatePiece> master = new ArrayList<>();
        for (int i = 0; i < pieces.size(); i++) {
            int n = owned(i);
            if (n > 0) {
                float[] v = new float[n];
                masters.get(i, 0, v, 0, n);
                master.add(new StatePiece(starts[i], v));
            }
        }
        out.put(EngineState.MASTER, master);
        if (fused != null) {
            for (int w = 0; w < fused.stateWords(); w++) {
                List<float[]> word = fused.exportWord(w);
                List<StatePiece> list = new ArrayList<>();
                for (int i = 0; i < word.size(); i++) {
                    if (word.get(i).length > 0) {
                        list.add(new StatePiece(starts[i], word.get(i)));
                    }
                }
                out.put(EngineState.stateWord(w), list);
            }
            return out;
        }
        out.put(EngineState.UPDATER_STATE, updaters.exportState());
        return out;
    }

    /**
     * Checkpoint import, between steps: the owned pieces' fp32 masters and optimizer state from the whole canonical
     * vectors. The parameter shards the gathers read are the caller's to refresh from the masters.
     */
    void importState(Map<String, float[]> full) {
        float[] master = full.get(EngineState.MASTER);
        for (int i = 0; i < pieces.size(); i++) {
            if (owned(i) > 0) { // a rank owning none of a small tensor: its start may lie past the vector's end
                masters.put(i, 0, master, Math.toIntExact(starts[i]), owned(i));
            }
        }
        if (fused != null) {
            List<float[]> words = new ArrayList<>();
            for (int w = 0; w < fused.stateWords(); w++) {
                words.add(full.get(EngineState.stateWord(w)));
            }
            fused.importState(starts, master, words);
            return;
        }
        updaters.importState(full.get(EngineState.UPDATER_STATE));
    }

    /** @return the fused kernel's state words per element (0 with the network's own DL4J updaters) */
    int stateWords() {
        return fused == null ? 0 : fused.stateWords();
    }

    private int owned(int i) {
        INDArray g = pieces.get(i).grad();
        return g == null ? 0 : (int) g.length();
    }

    /** Releases the ledger entries of the gradients and the optimizer state and stops the fused kernel's threads. */
    void close() {
        held.forEach(MemoryLedger.Allocation::close);
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
                       RankPrecision precision) { }

    /**
     * Whose shards the optimizer steps, and how they are cut.
     *
     * @param rank         the rank
     * @param subGroupSize {@code sub_group_size}: at most this many elements are stepped (and staged) at once
     */
    record Owner(int rank, long subGroupSize) { }
}
