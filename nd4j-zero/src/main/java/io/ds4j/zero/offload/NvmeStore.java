package io.ds4j.zero.offload;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.kernels.BufferFp32;
import io.ds4j.zero.kernels.Fp32Storage;
import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.OptimizerBuffers;
import io.ds4j.zero.kernels.VectorStorage;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;

/**
 * {@code "nvme"} offload: the master and the optimizer state of each sub-group in a file under {@code nvme_path}
 * ({@link SwapFile}), streamed through host swap slots during the step.
 *
 * <p>A sub-group needs {@code 1 + K} buffers of {@code sub_group_size} elements (master and K state vectors;
 * gradients are not swapped). The store uses one slot, plus one to read ahead with {@code pipeline_read}, plus one
 * to write behind with {@code pipeline_write}, and refuses a {@code buffer_count} that cannot hold them. Resident
 * host memory for the optimizer is therefore {@link #residentBytes()} {@code <=} {@link #bufferBudgetBytes()}
 * {@code = buffer_count * sub_group_size * 4} plus 32 header bytes per slot, recorded in the ledger as
 * {@code OFFLOAD_BUFFERS} on the host (the kernels' per-thread scratch tiles are a further constant). A sub-group
 * larger than a unit ({@link #units}: 128 Ki elements, or 1/16 of a larger shard) is streamed in units (a file each),
 * so a slot's vectors are {@code min(sub_group_size, unit)} long. The files, slots and I/O threads are
 * {@link SwapPipeline}'s.
 *
 * <p>With a master given ({@link #open(StoreRequest, NvmeSettings, Fp32Storage)}: the rank's own fp32 parameters in
 * host memory, ND4J's CPU backend, where they are already the master) the files and slots hold only the K state
 * vectors: the kernel steps the given memory in place, so neither a master stream nor its buffer exists, and a
 * sub-group needs {@code K} buffers instead of {@code 1 + K}.
 */
public final class NvmeStore implements OptimizerStateStore {
    private final SubGroups groups;      // the swap units: sub-groups of at most SWAP_UNIT elements
    private final int largestSubGroup;   // of sub_group_size: DeepSpeed's buffer size
    private final int vectors;
    private final int first;             // the slot vector holding state word 0: 1 after a master of its own, else 0
    private final Fp32Storage master;    // the caller's memory, stepped in place; null: the master is in the files
    private final int bufferCount;
    private final SwapPipeline swap;
    private final List<MemoryLedger.Allocation> allocations = new ArrayList<>();
    private final StoreState lifecycle;
    private long completedSteps;

    /** Test hook: called on the I/O thread around every read and write of a sub-group's file. */
    interface IoObserver {
        IoObserver NONE = new IoObserver() {
        };

        default void before(boolean write, int group) {
        }

        default void after(boolean write, int group) {
        }
    }

    private NvmeStore(StoreRequest r, NvmeSettings s, Path directory, int slotCount, Fp32Storage master) {
        this.groups = units(r);
        this.largestSubGroup = r.subGroups().largest();
        this.master = master;
        this.first = master == null ? 1 : 0;
        this.vectors = first + r.stateWords();
        this.bufferCount = s.bufferCount();
        this.lifecycle = new StoreState("optimizer store (nvme, rank " + r.rank() + ", " + directory + ")");
        this.swap = new SwapPipeline(r.rank(), directory, groups, vectors, slotCount,
                s.pipelineRead() && slotCount > 1, s.pipelineWrite() && slotCount > 1);
        long slotBytes = swap.residentBytes();
        MemoryLedger l = r.ledger();
        long bytes = Float.BYTES * r.elements();
        if (master == null) {
            allocations.add(l.allocate(MemoryCategory.MASTER_WEIGHTS, MemoryTier.DISK, bytes, "fp32 master shard"));
        }
        allocations.add(l.allocate(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DISK, bytes * r.stateWords(),
                "optimizer state"));
        allocations.add(l.allocate(MemoryCategory.OFFLOAD_BUFFERS, MemoryTier.HOST, slotBytes, "nvme swap slots"));
    }

    /**
     * Checks {@code nvme_path} and {@code buffer_count}, creates the rank's directory and the swap slots.
     *
     * @throws IllegalArgumentException naming the key when {@code nvme_path} or {@code buffer_count} cannot work
     */
    public static NvmeStore open(StoreRequest request, NvmeSettings settings) {
        return open(request, settings, null);
    }

    /**
     * As {@link #open(StoreRequest, NvmeSettings)}; with {@code master} given, the files and slots hold only the
     * optimizer state and the kernel steps {@code master} in place (see the class comment).
     *
     * @param master the shard's fp32 values in host memory, {@code request.elements()} long, or null to keep the
     *               master in the files
     */
    public static NvmeStore open(StoreRequest request, NvmeSettings settings, Fp32Storage master) {
        Copies.checkLength("the parameters stepped in place", master, request.elements());
        int vectors = (master == null ? 1 : 0) + request.stateWords();
        int fit = vectors == 0 ? Math.max(1, settings.bufferCount()) : settings.bufferCount() / vectors;
        if (fit < 1) {
            throw new IllegalArgumentException("zero_optimization.offload_optimizer.buffer_count: "
                    + settings.bufferCount() + " is too small: one sub-group needs " + vectors + " buffers ("
                    + (master == null ? "fp32 master + " : "") + request.stateWords() + " optimizer state vectors);"
                    + " set buffer_count >= " + vectors + " (" + 2 * vectors + " to read ahead, " + 3 * vectors
                    + " to also write behind)");
        }
        checkSlotFits(vectors, request.subGroups().largest());
        int slotCount = Math.max(1, Math.min(Math.min(fit, settings.slotsWanted()), units(request).count()));
        long required = (long) vectors * Float.BYTES * request.elements()
                + (long) SwapFile.HEADER_BYTES * units(request).count();
        Path dir = NvmePath.createRankDirectory(settings.nvmePath(), request.rank(), required, settings.probe());
        return new NvmeStore(request, settings, dir, slotCount, master);
    }

    /**
     * Elements of one swap unit, at least: a sub-group larger than a unit is streamed in units, each its own file and
     * one slot's vector long, so that the resident slots do not grow with {@code sub_group_size} (with DeepSpeed's
     * default of 1e9 a sub-group is the whole shard). The kernels are element-wise, so the floats are those of whole
     * sub-groups. 128 Ki elements: 512 KiB per vector, 1 MiB a slot for Adam's two moments.
     */
    static final int SWAP_UNIT = 1 << 17;
    /**
     * At most this many units per shard: a unit is {@code max(SWAP_UNIT, ceil(shard / MAX_UNITS))} elements. Measured
     * ({@code bench memory}, ZeRO-2 nvme, 16M parameters, 8M-element shards, three runs each): 61 units of 128 Ki a
     * rank peaked 16-38 MiB higher (VmHWM 408-410 MiB) than 16 units of 512 Ki (376-381) or whole 1M sub-groups
     * (372-392), although their slots are smaller; the cause was not found. A slot is then at most 1/16 of the
     * shard's state.
     */
    static final int MAX_UNITS = 16;

    /**
     * The swap units of a request's shard: its sub-groups, cut to one unit ({@link #SWAP_UNIT}, {@link #MAX_UNITS}).
     */
    static SubGroups units(StoreRequest r) {
        long unit = Math.max(SWAP_UNIT, (r.elements() + MAX_UNITS - 1) / MAX_UNITS);
        return new SubGroups(r.elements(), Math.min(r.subGroupSize(), unit));
    }

    /** The largest swap slot a direct buffer can hold: its vectors of one sub-group, in bytes. */
    static final long MAX_SLOT_BYTES = Integer.MAX_VALUE - 8;

    /**
     * A swap slot holds one sub-group's master and state vectors in one direct buffer, at most 2 GiB; the byte count
     * is taken in long arithmetic, since {@code vectors * elements * 4} in int wraps for a sub-group of 179M elements
     * with Adam (the default {@code sub_group_size} of 1e9 on a rank owning that many).
     *
     * @throws IllegalArgumentException naming {@code sub_group_size} and the largest value that works
     */
    static void checkSlotFits(int vectors, long largest) {
        long bytes = (long) vectors * largest * Float.BYTES;
        if (bytes > MAX_SLOT_BYTES) {
            throw new IllegalArgumentException("zero_optimization.sub_group_size: a sub-group of " + largest
                    + " elements needs " + bytes + " bytes of nvme swap buffer (" + vectors + " fp32 vectors), more"
                    + " than one host buffer can hold (2 GiB); set sub_group_size <= "
                    + MAX_SLOT_BYTES / ((long) vectors * Float.BYTES));
        }
    }

    void observe(IoObserver o) {
        swap.observe(o);
    }

    @Override
    public OffloadDevice device() {
        return OffloadDevice.NVME;
    }

    @Override
    public long length() {
        return groups.elements();
    }

    @Override
    public int stateWords() {
        return vectors - first;
    }

    /** Whether the master is the caller's memory, stepped in place (the files hold the state only). */
    public boolean masterInPlace() {
        return master != null;
    }

    /** The rank's private directory under {@code nvme_path} (deleted at close). */
    public Path directory() {
        return swap.directory();
    }

    /** Swap slots in use (1 to 3). */
    public int slotCount() {
        return swap.slotCount();
    }

    /** Host bytes held for the optimizer: the swap slots with their headers. */
    public long residentBytes() {
        return swap.residentBytes();
    }

    /** DeepSpeed's budget: {@code buffer_count} buffers of the largest sub-group's fp32 size. */
    public long bufferBudgetBytes() {
        return (long) bufferCount * largestSubGroup * Float.BYTES;
    }

    @Override
    public void initialize(VectorStorage params) {
        Copies.checkLength("initial parameters", params, length());
        lifecycle.initialized();
        try {
            swap.writeAll((i, v) -> {
                Copies.copy(params, groups.start(i), masterOf(v, i), 0, groups.length(i));
                v.subList(first, vectors).forEach(Copies::zero);
            });
        } catch (RuntimeException | Error e) {
            lifecycle.failed();
            throw e;
        }
        completedSteps = 0;
    }

    @Override
    public void restore(VectorStorage values, List<? extends VectorStorage> state) {
        Copies.checkLength("master", values, length());
        StoreState.checkWords(state.size(), stateWords());
        lifecycle.initialized();
        try {
            swap.writeAll((i, v) -> {
                int n = groups.length(i);
                Copies.copy(values, groups.start(i), masterOf(v, i), 0, n);
                for (int w = first; w < vectors; w++) {
                    Copies.checkLength("state word " + (w - first), state.get(w - first), length());
                    Copies.copy(state.get(w - first), groups.start(i), v.get(w), 0, n);
                }
            });
        } catch (RuntimeException | Error e) {
            lifecycle.failed();
            throw e;
        }
        completedSteps = 0;
    }

    @Override
    public void step(FusedOptimizer optimizer, StepInput input, KernelPool pool) {
        lifecycle.requireReady("step");
        StoreState.checkOptimizer(optimizer, stateWords(), true);
        Copies.checkLength("gradients", input.gradients(), length());
        Copies.checkLength("compute copy", input.computeCopy(), length());
        long step = completedSteps + 1;
        try {
            swap.stream(completedSteps, step, (i, v) -> compute(v, i, optimizer, input, pool));
        } catch (RuntimeException | Error e) {
            lifecycle.failed();
            swap.drainQuietly();
            throw e;
        }
        completedSteps = step;
    }

    private void compute(List<BufferFp32> v, int group, FusedOptimizer optimizer, StepInput input, KernelPool pool) {
        int n = groups.length(group);
        StepInput part = input.slice(groups.start(group), n);
        List<Fp32Storage> state = new ArrayList<>(v.subList(first, vectors));
        optimizer.step(new OptimizerBuffers(part.gradients(), masterOf(v, group), state, part.computeCopy()),
                part.args(), pool);
    }

    /** Sub-group {@code group}'s master: the slot's first vector, or the given memory's part of it (in place). */
    private Fp32Storage masterOf(List<BufferFp32> slotVectors, int group) {
        return master == null ? slotVectors.get(0) : Slices.of(master, groups.start(group), groups.length(group));
    }

    @Override
    public void readMaster(float[] dst, int offset) {
        if (master == null) {
            read(0, dst, offset);
            return;
        }
        lifecycle.requireReady("read");
        Copies.checkTarget(dst, offset, length());
        master.read(0, dst, offset, (int) length(), 1f);
    }

    @Override
    public void readState(int word, float[] dst, int offset) {
        if (word < 0 || word >= stateWords()) {
            throw new IndexOutOfBoundsException("state word " + word + " is outside [0, " + stateWords() + ")");
        }
        read(word + first, dst, offset);
    }

    private void read(int vector, float[] dst, int offset) {
        lifecycle.requireReady("read");
        Copies.checkTarget(dst, offset, length());
        swap.read(vector, completedSteps, dst, offset);
    }

    /** Stops the I/O threads, deletes every file and the directory, and releases the ledger entries. */
    @Override
    public void close() {
        if (!lifecycle.close()) {
            return;
        }
        try {
            swap.stopThreads();
        } finally {
            allocations.forEach(MemoryLedger.Allocation::close);
        }
        swap.deleteDirectory();
    }
}
