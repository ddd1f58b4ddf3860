package io.ds4j.zero.stage3;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.shard.ShardLayout;

/**
 * One parameter tensor partitioned across the ranks of a group: this rank's shard (held persistently, fp32) and, while
 * {@link ParamState#GATHERED}, the full tensor. Transitions: {@link #gather} SHARDED to GATHERED (one all-gather of
 * the shards), {@link #release} GATHERED to SHARDED; anything else throws {@link IllegalParamStateException}. A
 * persistent parameter is gathered once and refuses to be released; {@link #refresh} re-gathers it after its shard
 * changed. Confined to the rank's thread; every rank calls the collectives in the same order.
 */
public final class PartitionedParam {
    private final ParamSpec spec;
    private final ShardLayout layout;
    private final int rank;
    private final float[] shard;
    private final MemoryLedger.Allocation shardBytes;
    private boolean persistent;
    private ParamState state = ParamState.SHARDED;
    private float[] full;

    /**
     * This rank's shard of {@code spec}, zeroed; fill it with {@link #loadShard}.
     *
     * @param spec   the tensor
     * @param comm   the group (rank and world size)
     * @param ledger where the shard's bytes are entered (parameters, device)
     */
    public PartitionedParam(ParamSpec spec, Collectives comm, MemoryLedger ledger) {
        this.spec = spec;
        this.layout = ShardLayout.of(spec.numel(), comm.worldSize());
        this.rank = comm.rank();
        this.shard = new float[Math.toIntExact(layout.shardLength())];
        this.shardBytes = ledger.allocate(MemoryCategory.PARAMETERS, MemoryTier.DEVICE, 4L * shard.length,
                "stage3 shard " + spec.name());
    }

    /** Copies this rank's piece of the full tensor {@code src[offset, offset + numel)} into the shard. */
    public void loadShard(float[] src, int offset) {
        java.util.Arrays.fill(shard, 0f);
        var own = layout.ownedRange(rank);
        if (!own.isEmpty()) {
            System.arraycopy(src, offset + (int) own.offset(), shard, 0, (int) own.length());
        }
    }

    /** Marks the parameter persistent; only before its first gather. */
    public void markPersistent() {
        if (state != ParamState.SHARDED) {
            throw new IllegalParamStateException(spec.name(), state, "become persistent",
                    "mark persistence before the first gather");
        }
        persistent = true;
    }

    /** All-gathers the shards into a full buffer from {@code buffers}: SHARDED to GATHERED. */
    public void gather(Collectives comm, TransientBuffers buffers) {
        if (state != ParamState.SHARDED) {
            throw new IllegalParamStateException(spec.name(), state, "gather",
                    "release it first, or use it as it is");
        }
        full = buffers.acquire(Math.toIntExact(layout.paddedLength()),
                (persistent ? "stage3 persistent " : "stage3 gathered ") + spec.name(), persistent);
        allGatherInto(comm, full);
        state = ParamState.GATHERED;
    }

    /** Re-gathers a persistent, gathered parameter after its shard changed (the post-step all-gather). */
    public void refresh(Collectives comm) {
        if (state != ParamState.GATHERED || !persistent) {
            throw new IllegalParamStateException(spec.name(), state, "refresh"
                    + (persistent ? "" : " a non-persistent parameter"), "only gathered persistent ones refresh");
        }
        allGatherInto(comm, full);
    }

    private void allGatherInto(Collectives comm, float[] target) {
        int n = shard.length;
        comm.allGather(shard, 0, target, 0, n, n);
    }

    /** Drops the full tensor: GATHERED to SHARDED. */
    public void release(TransientBuffers buffers) {
        if (state != ParamState.GATHERED) {
            throw new IllegalParamStateException(spec.name(), state, "release", "gather it first");
        }
        if (persistent) {
            throw new IllegalParamStateException(spec.name(), state, "release a persistent parameter",
                    "persistent parameters stay gathered");
        }
        buffers.release(full);
        full = null;
        state = ParamState.SHARDED;
    }

    /**
     * Reduce-scatters a full-size gradient: this rank's shard of the sum over ranks lands in
     * {@code shardGrad[0, shardLength)} (overwritten).
     *
     * @param fullGrad  the rank's gradient of the whole tensor, {@code paddedLength} elements (padding zero)
     * @param shardGrad the output
     */
    public void reduceScatter(Collectives comm, float[] fullGrad, float[] shardGrad) {
        int n = shard.length;
        if (fullGrad.length < layout.paddedLength() || shardGrad.length < n) {
            throw new IllegalArgumentException("parameter '" + spec.name() + "': gradient of " + fullGrad.length
                    + " / shard gradient of " + shardGrad.length + " elements, need " + layout.paddedLength()
                    + " / " + n);
        }
        comm.reduceScatterSum(fullGrad, 0, n, shardGrad, 0, n);
    }

    /** The full tensor (padded length; the first {@code numel} elements are the parameter); only while gathered. */
    public float[] full() {
        if (state != ParamState.GATHERED) {
            throw new IllegalParamStateException(spec.name(), state, "read the full tensor", "gather it first");
        }
        return full;
    }

    /** This rank's shard (the optimizer updates it in place). */
    public float[] shard() {
        return shard;
    }

    /** The tensor. */
    public ParamSpec spec() {
        return spec;
    }

    /** How the tensor is split over the ranks. */
    public ShardLayout layout() {
        return layout;
    }

    /** The current state. */
    public ParamState state() {
        return state;
    }

    /** Whether it stays gathered. */
    public boolean isPersistent() {
        return persistent;
    }

    /** Releases the shard's ledger entry and any full buffer; the parameter is unusable afterwards. */
    public void free(TransientBuffers buffers) {
        if (full != null) {
            buffers.release(full);
            full = null;
        }
        state = ParamState.SHARDED;
        shardBytes.close();
    }
}
