package io.ds4j.dl4j.stage3;

import io.ds4j.dl4j.FlatLayout;
import io.ds4j.dl4j.ShardUpdater;
import io.ds4j.dl4j.UpdaterStatePieces;
import io.ds4j.dl4j.checkpoint.StatePiece;
import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.stage3.Held;
import io.ds4j.zero.stage3.MasterShards;
import io.ds4j.zero.stage3.SubGroupPlan;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The network's own DL4J updaters over one rank's owned elements (part of {@link ShardOptimizer}, without a DeepSpeed
 * {@code optimizer} section): one {@link ShardUpdater} per segment of every sub-group, on views of the segment's
 * master and reduced gradient, their state (whose size the optimizer enters in the ledger), the step that runs them,
 * and their state's checkpoint pieces.
 *
 * <p>Masters on the device (no {@code offload_param}, or mixed precision) are updated in place. Masters offloaded
 * with {@code offload_param} (fp32: on the host or on disk) are brought to the device one sub-group at a time: the
 * DL4J updaters of the sub-group's segments are pointed at a device staging array of the largest sub-group
 * ({@link ShardUpdater#bindParams}), the sub-group's masters are copied in, updated, and copied back; the staging
 * exists only during the step.
 */
final class SegmentUpdaters {
    /** The DL4J updater of one segment of a sub-group, on views of its master and gradient. */
    private record SegmentUpdate(ShardUpdater updater, SubGroupPlan.Segment segment, INDArray master,
                                 INDArray grad, long lo) { }

    private final List<List<SegmentUpdate>> updates = new ArrayList<>(); // per sub-group
    private final MasterShards masters;
    private final SubGroupPlan plan;
    private final MemoryLedger ledger;
    private final FlatLayout layout;
    private final long stateBytes;

    /**
     * The network's DL4J updaters, one per segment of every sub-group.
     *
     * @param layout  the network's flat layout
     * @param masters the owned elements' fp32 masters
     * @param plan    the owned elements' sub-groups
     * @param ledger  where the step's staging of offloaded masters is entered
     * @param grads   per parameter, its reduced gradient shard (null where the rank owns none of it)
     * @param starts  per parameter, its first owned element in the flat vector
     */
    SegmentUpdaters(FlatLayout layout, MasterShards masters, SubGroupPlan plan, MemoryLedger ledger,
                    List<INDArray> grads, long[] starts) {
        this.masters = masters;
        this.plan = plan;
        this.ledger = ledger;
        this.layout = layout;
        INDArray stage = masters.onDevice() ? null : Nd4j.create(DataType.FLOAT, Math.max(1, plan.largest()));
        long state = 0;
        for (List<SubGroupPlan.Segment> group : plan.groups()) {
            List<SegmentUpdate> list = new ArrayList<>();
            for (SubGroupPlan.Segment s : group) {
                INDArray m = stage == null ? slice(masters.array(s.piece()), s.from(), s.length())
                        : slice(stage, s.at(), s.length()); // rebound to each step's staging
                list.add(addUpdater(grads.get(s.piece()), starts[s.piece()], s, m));
                INDArray st = list.get(list.size() - 1).updater().state();
                state += st == null ? 0 : Held.bytes(st);
            }
            updates.add(list);
        }
        if (stage != null) {
            release(stage);
        }
        this.stateBytes = state;
    }

    /** A DL4J updater on one segment (the measured fact: an updater on a sub-range is bit-identical to the whole). */
    private SegmentUpdate addUpdater(INDArray grad, long start, SubGroupPlan.Segment s, INDArray master) {
        INDArray g = slice(grad, s.from(), s.length());
        long lo = start + s.from();
        return new SegmentUpdate(ShardUpdater.forShard(layout, lo, lo + s.length(), master, g), s, master, g, lo);
    }

    /** @return the bytes of the updaters' state arrays (optimizer state) */
    long stateBytes() {
        return stateBytes;
    }

    /** Frees a staging array's memory now rather than at the next garbage collection. */
    private static void release(INDArray stage) {
        if (stage.closeable()) {
            stage.close();
        }
    }

    private static INDArray slice(INDArray a, int from, int length) {
        return a.get(NDArrayIndex.interval(from, from + length));
    }

    /** Runs every updater on its averaged, clipped gradient and subtracts the update from its masters. */
    void step(ShardOptimizer.StepContext ctx) {
        if (masters.onDevice()) {
            updates.forEach(group -> group.forEach(u -> update(u, u.master(), ctx)));
        } else {
            stepStaged(ctx);
        }
    }

    private static void update(SegmentUpdate u, INDArray master, ShardOptimizer.StepContext ctx) {
        u.updater().gradientToUpdate(ctx.iteration(), ctx.epoch());
        master.subi(u.grad());
    }

    /**
     * The DL4J updaters on offloaded masters: per sub-group, its masters are copied into a device staging array of
     * the largest sub-group (through a host transfer array of the same size), the updaters run on views of it, and
     * the updated values go back to the masters' store. Both temporaries are entered in the ledger for the step.
     */
    private void stepStaged(ShardOptimizer.StepContext ctx) {
        int n = Math.max(1, plan.largest());
        INDArray stage = Nd4j.create(DataType.FLOAT, n);
        float[] transfer = new float[n];
        try (MemoryLedger.Allocation d = ledger.allocate(MemoryCategory.OTHER, MemoryTier.DEVICE, Held.bytes(stage),
                "stage3 optimizer step: one sub-group of the offloaded masters on the device");
             MemoryLedger.Allocation h = ledger.allocate(MemoryCategory.OTHER, MemoryTier.HOST,
                     (long) Float.BYTES * transfer.length, "stage3 optimizer step: host transfer of one sub-group")) {
            for (List<SegmentUpdate> group : updates) {
                for (SegmentUpdate u : group) {
                    SubGroupPlan.Segment s = u.segment();
                    masters.get(s.piece(), s.from(), transfer, s.at(), s.length());
                }
                SubGroupPlan.Segment last = group.get(group.size() - 1).segment();
                int len = last.at() + last.length();
                HostFloats.current(stage).put(0, transfer, 0, len);
                HostFloats.written(stage);
                for (SegmentUpdate u : group) {
                    INDArray m = slice(stage, u.segment().at(), u.segment().length());
                    u.updater().bindParams(m);
                    update(u, m, ctx);
                }
                HostFloats.current(stage).get(0, transfer, 0, len);
                for (SegmentUpdate u : group) {
                    SubGroupPlan.Segment s = u.segment();
                    masters.put(s.piece(), s.from(), transfer, s.at(), s.length());
                }
            }
        } finally {
            release(stage); // the views the updaters hold are rebound before their next use
        }
    }

    /** Checkpoint export: the updaters' state, segment by segment, as pieces of the canonical vector (copied). */
    List<StatePiece> exportState() {
        List<StatePiece> state = new ArrayList<>();
        updates.forEach(group -> group.forEach(u -> state.addAll(UpdaterStatePieces.export(layout, u.lo(),
                u.lo() + u.segment().length(), u.updater().state()))));
        return state;
    }

    /** Checkpoint import: every updater's state from the whole canonical updater-state vector. */
    void importState(float[] whole) {
        updates.forEach(group -> group.forEach(u -> UpdaterStatePieces.restore(layout, u.lo(),
                u.lo() + u.segment().length(), whole, u.updater().state())));
    }
}
