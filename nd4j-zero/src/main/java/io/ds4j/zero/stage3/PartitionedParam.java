package io.ds4j.zero.stage3;

import io.ds4j.zero.comm.BufferCollectives;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.shard.ShardLayout;
import io.ds4j.zero.kernels.HostFloats;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

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
    private final ShardStore store;
    private boolean persistent;
    private ParamState state = ParamState.SHARDED;
    private float[] full;
    private Placement placement;
    private INDArray placed; // while gathered through the placement: the memory it gave for the gather

    /**
     * Where a non-persistent parameter is gathered instead of a heap buffer of its own: a range of native memory that
     * the module using it computes on (DeepSpeed's gathered parameter is the parameter's data), e.g. a module's buffer
     * with its tensors side by side.
     */
    public interface Placement {
        /**
         * The memory to gather {@code p} into: a contiguous FLOAT view of {@code p}'s padded length. The elements past
         * its {@code numel} may be another tensor's: the gather leaves them as they were.
         */
        INDArray acquire(PartitionedParam p);

        /**
         * {@code p} was gathered into {@code target}, the memory {@link #acquire} gave for it (its first {@code numel}
         * elements): the placement may now move the values to where the module reads them.
         */
        default void gathered(PartitionedParam p, INDArray target) {
        }

        /** {@code p} was released (or freed): the range acquired for it is no longer used by it. */
        void release(PartitionedParam p);

        /**
         * Whether {@link #acquire} gives every rank of the group the same memory (ranks that are threads of one
         * process sharing one buffer per module): then it gives {@code p}'s {@code numel} elements (no padding), each
         * rank writes only the elements it owns into them and waits for the others
         * ({@link BufferCollectives#allGatherShared}), instead of an all-gather that copies, so nothing past
         * {@code numel} is written and no rank writes what another does.
         */
        default boolean sharedByGroup() {
            return false;
        }
    }

    /**
     * This rank's shard of {@code spec} on the heap (device tier), zeroed; fill it with {@link #loadShard}.
     *
     * @param spec   the tensor
     * @param comm   the group (rank and world size)
     * @param ledger where the shard's bytes are entered (parameters, device)
     */
    public PartitionedParam(ParamSpec spec, Collectives comm, MemoryLedger ledger) {
        this(spec, comm, new HeapShardStore(shardLength(spec, comm), ledger, MemoryTier.DEVICE,
                "stage3 shard " + spec.name()));
    }

    /**
     * This rank's shard of {@code spec} in {@code store} ({@link #shardLength(ParamSpec, Collectives)} elements).
     *
     * @param spec  the tensor
     * @param comm  the group (rank and world size)
     * @param store where the shard lives between uses
     */
    public PartitionedParam(ParamSpec spec, Collectives comm, ShardStore store) {
        this.spec = spec;
        this.layout = ShardLayout.of(spec.numel(), comm.worldSize());
        this.rank = comm.rank();
        this.store = store;
        if (store.length() != layout.shardLength()) {
            throw new IllegalArgumentException("parameter '" + spec.name() + "': shard store holds " + store.length()
                    + " elements, the shard has " + layout.shardLength());
        }
    }

    /** The shard length of {@code spec} on {@code comm}'s world: {@code ceil(numel / worldSize)}. */
    public static int shardLength(ParamSpec spec, Collectives comm) {
        return Math.toIntExact(ShardLayout.of(spec.numel(), comm.worldSize()).shardLength());
    }

    /** Elements copied at a time by {@link #loadShard(FloatBuffer, int)}: 256 KiB of heap, whatever the shard. */
    static final int LOAD_TILE = 1 << 16;

    /**
     * Copies this rank's piece of the full tensor {@code src[offset, offset + numel)} into the shard (its padding
     * zeroed), straight from {@code src}: no shard-sized copy is made.
     */
    public void loadShard(float[] src, int offset) {
        var own = layout.ownedRange(rank);
        int n = (int) own.length();
        if (n > 0) { // a rank owning none of a small tensor: its range starts past the tensor's end
            store.write(0, src, offset + (int) own.offset(), n);
        }
        zeroPadding(n);
    }

    /**
     * As {@link #loadShard(float[], int)} from a buffer (e.g. an ND4J array's native memory, see
     * {@code HostFloats.buffer}), its elements from index 0: the owned piece goes through one heap tile of at most
     * {@value #LOAD_TILE} elements, so loading a shard of any size allocates no heap array of its size.
     */
    public void loadShard(FloatBuffer src, int offset) {
        var own = layout.ownedRange(rank);
        int n = (int) own.length();
        float[] tile = new float[Math.min(n, LOAD_TILE)];
        for (int done = 0; done < n; done += tile.length) {
            int k = Math.min(tile.length, n - done);
            src.get(offset + (int) own.offset() + done, tile, 0, k);
            store.write(done, tile, 0, k);
        }
        zeroPadding(n);
    }

    /** Zeroes the shard's elements from {@code owned} on (the padding of the last ranks: fewer than world size). */
    private void zeroPadding(int owned) {
        int pad = store.length() - owned;
        if (pad > 0) {
            store.write(owned, new float[pad], 0, pad);
        }
    }

    /** Gathers this parameter, when not persistent, into {@code where}'s memory from now on; only while sharded. */
    public void placeAt(Placement where) {
        if (state != ParamState.SHARDED) {
            throw new IllegalParamStateException(spec.name(), state, "be placed", "place it before gathering it");
        }
        placement = where;
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
        gather(comm, buffers, 0);
    }

    /**
     * As {@link #gather(Collectives, TransientBuffers)}, announcing that {@code comingNext} more floats will be
     * taken from {@code buffers} right after (the module's other tensors; see {@link TransientBuffers#acquire(int,
     * String, boolean, long)}).
     */
    public void gather(Collectives comm, TransientBuffers buffers, long comingNext) {
        if (state != ParamState.SHARDED) {
            throw new IllegalParamStateException(spec.name(), state, "gather",
                    "release it first, or use it as it is");
        }
        if (placement != null && !persistent) {
            placed = placement.acquire(this);
            if (placement.sharedByGroup()) {
                writeOwnedInto(comm, placed);
            } else {
                allGatherInto(comm, placed);
            }
            placement.gathered(this, placed);
            state = ParamState.GATHERED;
            return;
        }
        full = buffers.acquire(Math.toIntExact(layout.paddedLength()),
                (persistent ? "stage3 persistent " : "stage3 gathered ") + spec.name(), persistent, comingNext);
        allGatherInto(comm, full);
        state = ParamState.GATHERED;
    }

    /**
     * All-gathers into native memory ({@code target}: the padded length): the own shard is read straight into its
     * block, then the collective's INDArray form fills the others in place (no heap copy on collectives that work in
     * an array's own memory). The elements past {@code numel} (the last block's padding) are restored afterwards:
     * they may belong to the tensor next to this one.
     */
    private void allGatherInto(Collectives comm, INDArray target) {
        allGatherInto(comm, store, target);
    }

    /**
     * All-gathers {@code source} (on every rank: this parameter's shard store or, in mixed precision, its fp32
     * master) into {@code target}, a contiguous FLOAT view of the padded length, as a gather does; the state does not
     * change (e.g. the copy of the parameters into a network).
     */
    public void allGatherInto(Collectives comm, ShardStore source, INDArray target) {
        int n = source.length();
        FloatBuffer mem = HostFloats.current(target);
        int base = (int) target.offset();
        int numel = spec.numel();
        int pad = (int) layout.paddedLength() - numel;
        float[] beyond = new float[pad];
        mem.get(base + numel, beyond, 0, pad);
        source.read(0, mem, base + rank * n, n);
        HostFloats.written(target);
        comm.allGather(target.get(NDArrayIndex.interval(0, 0, true), NDArrayIndex.interval((long) rank * n,
                (long) (rank + 1) * n)), target);
        mem = HostFloats.current(target);
        mem.put(base + numel, beyond, 0, pad);
        HostFloats.written(target);
    }

    /**
     * The gather into memory every rank shares ({@link Placement#sharedByGroup()}): this rank's owned elements are
     * read from its shard into their range of {@code target} ({@code numel} elements), then
     * {@link BufferCollectives#allGatherShared}: when it returns every rank has written its range, so {@code target}
     * holds the whole tensor (the values an all-gather gives).
     */
    private void writeOwnedInto(Collectives comm, INDArray target) {
        writeOwnedInto(comm, store, target);
    }

    /**
     * As a gather into memory the ranks share, from {@code source} (this parameter's shard store or, in mixed
     * precision, its fp32 master) into {@code target} ({@code numel} elements, the same memory on every rank): this
     * rank's owned elements, then the shared all-gather ({@link BufferCollectives#allGatherShared}); the state does
     * not change (e.g. the copy of the parameters into a network). The ranks must share {@code target} and be
     * {@link BufferCollectives}.
     */
    public void writeOwnedInto(Collectives comm, ShardStore source, INDArray target) {
        if (!(comm instanceof BufferCollectives b)) { // before writing: nothing goes into memory others may read
            throw new IllegalStateException("parameter '" + spec.name() + "': a gather into shared memory needs ranks"
                    + " that share it (in-process collectives), got " + comm.getClass().getSimpleName());
        }
        if (target.length() != spec.numel()) {
            throw new IllegalArgumentException("parameter '" + spec.name() + "': shared gather target of "
                    + target.length() + " elements, the tensor has " + spec.numel());
        }
        var own = layout.ownedRange(rank);
        int n = (int) own.length();
        if (n > 0) {
            source.read(0, HostFloats.current(target), (int) (target.offset() + own.offset()), n);
            HostFloats.written(target);
        }
        b.allGatherShared(store.length());
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
        int n = store.length();
        int own = rank * n;
        store.read(0, target, own, n); // straight into the own block: no shard-sized temporary
        comm.allGather(target, own, target, 0, n, n); // in place: the own block is already in the output
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
        unhold(buffers);
        state = ParamState.SHARDED;
    }

    private void unhold(TransientBuffers buffers) {
        if (placed != null) {
            placed = null;
            placement.release(this);
        }
        if (full != null) {
            buffers.release(full);
            full = null;
        }
    }

    /**
     * Reduce-scatters a full-size gradient: this rank's shard of the sum over ranks lands in
     * {@code shardGrad[0, shardLength)} (overwritten).
     *
     * @param fullGrad  the rank's gradient of the whole tensor, {@code paddedLength} elements (padding zero)
     * @param shardGrad the output
     */
    public void reduceScatter(Collectives comm, float[] fullGrad, float[] shardGrad) {
        int n = store.length();
        if (fullGrad.length < layout.paddedLength() || shardGrad.length < n) {
            throw new IllegalArgumentException("parameter '" + spec.name() + "': gradient of " + fullGrad.length
                    + " / shard gradient of " + shardGrad.length + " elements, need " + layout.paddedLength()
                    + " / " + n);
        }
        comm.reduceScatterSum(fullGrad, 0, n, shardGrad, 0, n);
    }

    /**
     * As {@link #reduceScatter(Collectives, float[], float[])} with the gradient read where it lies, {@code grad}'s
     * elements {@code [0, numel)} (the padding taken as zero): no full-size copy of it is made.
     */
    public void reduceScatter(BufferCollectives comm, FloatBuffer grad, float[] shardGrad) {
        int n = store.length();
        if (grad.capacity() < spec.numel() || shardGrad.length < n) {
            throw new IllegalArgumentException("parameter '" + spec.name() + "': gradient buffer of "
                    + grad.capacity() + " / shard gradient of " + shardGrad.length + " elements, need "
                    + spec.numel() + " / " + n);
        }
        comm.reduceScatterSum(grad, spec.numel(), shardGrad, 0, n);
    }

    /**
     * The full tensor: its first {@code numel} elements are the parameter, up to the padded length the padding; the
     * array may be longer (a reused buffer, see {@link TransientBuffers}). Only while gathered.
     */
    public float[] full() {
        if (state != ParamState.GATHERED) {
            throw new IllegalParamStateException(spec.name(), state, "read the full tensor", "gather it first");
        }
        if (full == null) {
            throw new IllegalParamStateException(spec.name(), state, "read the full tensor as a Java array",
                    "it was gathered into its placement's memory: read placed()");
        }
        return full;
    }

    /** Whether it is gathered now in its placement's memory (where the module computes on it), not on the heap. */
    public boolean placed() {
        return placed != null;
    }

    /** Where this rank's shard lives (the optimizer reads and writes it there). */
    public ShardStore store() {
        return store;
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
        unhold(buffers);
        state = ParamState.SHARDED;
        store.close();
    }
}
