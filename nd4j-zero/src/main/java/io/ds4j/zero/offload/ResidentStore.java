package io.ds4j.zero.offload;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.kernels.Fp32Storage;
import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.HeapFp32;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.Nd4jStorage;
import io.ds4j.zero.kernels.OptimizerBuffers;
import io.ds4j.zero.kernels.VectorStorage;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;

/**
 * A store whose master and state stay in memory: on the device (no offload; ND4J arrays, ledger tier DEVICE, stepped
 * as one sub-group like DeepSpeed's stages 1 and 2) or on the host ({@code "cpu"}; heap or direct buffers outside
 * ND4J, ledger tier HOST, stepped sub-group by sub-group).
 *
 * <p>With a master given ({@link #onHost(StoreRequest, HostMemory, boolean, Fp32Storage)}: the rank's own fp32
 * parameters in host memory, ND4J's CPU backend) the store steps that memory in place and allocates only the state:
 * no {@code MASTER_WEIGHTS} entry, since the bytes are the caller's and already in its ledger.
 *
 * <p>{@code pin_memory}: page-locking only matters for asynchronous copies to a CUDA device; with ND4J's CPU backend
 * there is no device copy, so the flag is recorded ({@link #pinMemoryRequested()}) and nothing is pinned
 * ({@link #pinned()} is false).
 */
public final class ResidentStore implements OptimizerStateStore {
    private final OffloadDevice device;
    private final Fp32Storage master;
    private final List<Fp32Storage> state;
    private final SubGroups groups;
    private final boolean pinMemoryRequested;
    private final List<MemoryLedger.Allocation> allocations = new ArrayList<>();
    private final List<INDArray> arrays = new ArrayList<>();
    private final StoreState lifecycle;
    private final boolean inPlace;

    private ResidentStore(OffloadDevice device, StoreRequest r, boolean pinMemory, Allocator allocator,
            Fp32Storage given) {
        this.device = device;
        this.pinMemoryRequested = pinMemory;
        this.groups = device == OffloadDevice.NONE ? new SubGroups(r.elements(), Math.max(1, r.elements()))
                : r.subGroups();
        this.lifecycle = new StoreState("optimizer store (" + device.jsonName() + ", rank " + r.rank() + ")");
        MemoryTier tier = device == OffloadDevice.NONE ? MemoryTier.DEVICE : MemoryTier.HOST;
        this.inPlace = given != null;
        if (inPlace) {
            Copies.checkLength("the parameters stepped in place", given, r.elements());
            this.master = given;
        } else {
            this.master = allocator.create(r.elements());
            allocations.add(r.ledger().allocate(MemoryCategory.MASTER_WEIGHTS, tier, Float.BYTES * master.length(),
                    "fp32 master shard"));
        }
        List<Fp32Storage> s = new ArrayList<>();
        for (int k = 0; k < r.stateWords(); k++) {
            Fp32Storage word = allocator.create(r.elements());
            s.add(word);
            allocations.add(r.ledger().allocate(MemoryCategory.OPTIMIZER_STATE, tier, Float.BYTES * word.length(),
                    "optimizer state " + k));
        }
        this.state = List.copyOf(s);
    }

    @FunctionalInterface
    private interface Allocator {
        Fp32Storage create(long elements);
    }

    /** No offload: master and state as ND4J FLOAT arrays (the device of the backend). */
    public static ResidentStore onDevice(StoreRequest request) {
        return onDevice(request, null);
    }

    /**
     * No offload, the state as ND4J FLOAT arrays; the master is {@code master} itself when given (stepped in place,
     * not copied), else an array of its own.
     */
    static ResidentStore onDevice(StoreRequest request, Fp32Storage master) {
        List<INDArray> made = new ArrayList<>();
        ResidentStore store = new ResidentStore(OffloadDevice.NONE, request, false, n -> {
            if (n == 0) {
                return new HeapFp32(new float[0], 0, 0);
            }
            INDArray a = Nd4j.create(DataType.FLOAT, n);
            made.add(a);
            return Nd4jStorage.fp32(a);
        }, master);
        store.arrays.addAll(made);
        return store;
    }

    /** {@code "cpu"} offload: master and state in host memory outside ND4J. */
    public static ResidentStore onHost(StoreRequest request, HostMemory memory, boolean pinMemory) {
        return onHost(request, memory, pinMemory, null);
    }

    /**
     * {@code "cpu"} offload with the state in host memory outside ND4J and, when {@code master} is given, the master
     * stepped in place in that fp32 host memory (the rank's own parameters): the store then holds no copy of it.
     *
     * @param master the shard's fp32 values in host memory, {@code request.elements()} long, or null for a copy of
     *               its own
     */
    public static ResidentStore onHost(StoreRequest request, HostMemory memory, boolean pinMemory,
            Fp32Storage master) {
        return new ResidentStore(OffloadDevice.CPU, request, pinMemory, n -> switch (memory) {
            case HEAP -> new HeapFp32(new float[(int) n], 0, (int) n);
            case DIRECT -> {
                if (n * Float.BYTES > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("a direct buffer holds at most 2^31-1 bytes; a shard of " + n
                            + " elements needs " + n * Float.BYTES + "; use HostMemory.HEAP");
                }
                ByteBuffer b = ByteBuffer.allocateDirect((int) (n * Float.BYTES)).order(ByteOrder.nativeOrder());
                yield VectorStorage.of(b.asFloatBuffer());
            }
        }, master);
    }

    /** Whether the master is the caller's memory, stepped in place (no copy held by the store). */
    public boolean masterInPlace() {
        return inPlace;
    }

    @Override
    public OffloadDevice device() {
        return device;
    }

    @Override
    public long length() {
        return master.length();
    }

    @Override
    public int stateWords() {
        return state.size();
    }

    /** The {@code pin_memory} setting as configured. */
    public boolean pinMemoryRequested() {
        return pinMemoryRequested;
    }

    /** Whether the host memory is page-locked: always false with ND4J's CPU backend (see the class comment). */
    public boolean pinned() {
        return false;
    }

    @Override
    public void initialize(VectorStorage params) {
        Copies.checkLength("initial parameters", params, length());
        lifecycle.initialized();
        Copies.copy(params, 0, master, 0, length());
        state.forEach(Copies::zero);
    }

    @Override
    public void restore(VectorStorage from, List<? extends VectorStorage> words) {
        Copies.checkLength("master", from, length());
        StoreState.checkWords(words.size(), stateWords());
        lifecycle.initialized();
        Copies.copy(from, 0, master, 0, length());
        for (int w = 0; w < state.size(); w++) {
            Copies.checkLength("state word " + w, words.get(w), length());
            Copies.copy(words.get(w), 0, state.get(w), 0, length());
        }
    }

    @Override
    public void step(FusedOptimizer optimizer, StepInput input, KernelPool pool) {
        lifecycle.requireReady("step");
        StoreState.checkOptimizer(optimizer, stateWords(), groups.count() > 1);
        Copies.checkLength("gradients", input.gradients(), length());
        Copies.checkLength("compute copy", input.computeCopy(), length());
        try {
            for (int i = 0; i < groups.count(); i++) {
                long from = groups.start(i);
                int n = groups.length(i);
                StepInput part = input.slice(from, n);
                List<Fp32Storage> s = new ArrayList<>(state.size());
                state.forEach(v -> s.add(Slices.of(v, from, n)));
                optimizer.step(new OptimizerBuffers(part.gradients(), Slices.of(master, from, n), s,
                        part.computeCopy()), part.args(), pool);
            }
        } catch (RuntimeException | Error e) {
            lifecycle.failed();
            throw e;
        }
    }

    @Override
    public void readMaster(float[] dst, int offset) {
        read(master, dst, offset);
    }

    @Override
    public void readState(int word, float[] dst, int offset) {
        if (word < 0 || word >= state.size()) {
            throw new IndexOutOfBoundsException("state word " + word + " is outside [0, " + state.size() + ")");
        }
        read(state.get(word), dst, offset);
    }

    private void read(Fp32Storage src, float[] dst, int offset) {
        lifecycle.requireReady("read");
        Copies.checkTarget(dst, offset, length());
        src.read(0, dst, offset, (int) length(), 1f);
    }

    @Override
    public void close() {
        if (!lifecycle.close()) {
            return;
        }
        allocations.forEach(MemoryLedger.Allocation::close);
        for (INDArray a : arrays) {
            if (a.closeable()) {
                a.close();
            }
        }
    }
}
