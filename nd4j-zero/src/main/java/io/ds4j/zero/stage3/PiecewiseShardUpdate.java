package io.ds4j.zero.stage3;

import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.config.OffloadOptimizerConfig;
import io.ds4j.zero.kernels.BufferFp32;
import io.ds4j.zero.kernels.Fp32Storage;
import io.ds4j.zero.kernels.FusedLamb;
import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.HeapFp32;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.Nd4jStorage;
import io.ds4j.zero.kernels.OptimizerBuffers;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.kernels.VectorStorage;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.offload.HostTransfer;
import io.ds4j.zero.offload.OptimizerStateStore;
import io.ds4j.zero.offload.OptimizerStores;
import io.ds4j.zero.offload.StepInput;
import io.ds4j.zero.offload.StoreRequest;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.update.DeepSpeedOptimizer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The shard update at stage 3: a DeepSpeed {@code optimizer} section (and its {@code scheduler}) run piece by piece
 * over a rank's partitioned parameters, one fused kernel
 * ({@link FusedOptimizer}) updating each owned piece of a parameter's fp32 master shard ({@link MasterShards}: on
 * the device, stepped in place, or where {@code offload_param} keeps it, a sub-group at a time staged on the heap),
 * with its own optimizer state per piece, reading the piece's averaged (and, in mixed precision, unscaled) gradient
 * times DeepSpeed's clip factor. The kernels are element-wise (Adam, AdamW, SGD, Adagrad, Lion), so updating the pieces
 * one by one, and each in sub-groups of at most {@code sub_group_size} elements ({@link SubGroupPlan}), is the same
 * arithmetic as updating a flat range of them at stages 0-2; Lamb's per-tensor trust ratio takes two passes with
 * one all-reduce of the tensors' norms between them.
 *
 * <p>With {@code zero_optimization.offload_optimizer} ({@code cpu} or {@code nvme}) the master and optimizer state of
 * the rank's owned elements, all pieces concatenated in flat order, live in an {@link OptimizerStateStore} (host
 * memory, or files under {@code nvme_path}), stepped in {@code sub_group_size} groups as at stages 1-2
 * ({@code OffloadedShardUpdate}); the store reads each sub-group's gradient straight from the pieces' gradient arrays
 * and writes its updated master straight into the pieces' fp32 masters, which feed the parameter shards the gathers
 * read ({@link ConcatenatedPieces}): no whole-shard staging exists, so the step's host memory is the store's own
 * (with nvme, its swap slots of {@code sub_group_size} elements). With {@code offload_optimizer} and
 * {@code offload_param} both on the {@code cpu} in fp32 (and {@code ratio} 1) no store is opened: the masters are
 * the parameter shards' own Java arrays on the host ({@link MasterShards#onHeap()}), or the network's own host memory
 * where the shards are kept in place in it on the CPU backend ({@link MasterShards#inHostArrays()}), which the kernel
 * steps in place segment by segment, with each piece's state in Java arrays entered on the host tier, so the rank holds one fp32
 * copy of its shard instead of two (DeepSpeed clones its fp32 partition for the optimizer; here the shard is already
 * fp32 and on the host) and no sub-group staging: the same floats in the same order, bit-identical.
 *
 * @param optimizer the DeepSpeed optimizer (kernel and learning rate)
 * @param offload  {@code zero_optimization.offload_optimizer} ({@link OffloadOptimizerConfig#none()} for none)
 */
public record PiecewiseShardUpdate(DeepSpeedOptimizer optimizer, OffloadOptimizerConfig offload) {
    /** Checks the optimizer. */
    public PiecewiseShardUpdate {
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(offload, "offload (OffloadOptimizerConfig.none() for none)");
    }

    /** Without optimizer offload. */
    public PiecewiseShardUpdate(DeepSpeedOptimizer optimizer) {
        this(optimizer, OffloadOptimizerConfig.none());
    }

    /** @return the fused kernel */
    public FusedOptimizer kernel() {
        return optimizer.kernel();
    }

    /** True when the master and optimizer state live in an offload store. */
    public boolean offloaded() {
        return offload.device() != OffloadDevice.NONE;
    }

    /**
     * The optimizer state of one rank's pieces (a piece: the owned part of one parameter tensor, indexed by the
     * parameter's position in flat order; a parameter the rank owns none of is an empty piece); offloaded masters are
     * staged through a buffer of one sub-group.
     */
    public static final class Pieces {
        private final PiecewiseShardUpdate update;
        private final int tensorCount;                       // the model's parameter tensors
        private final MasterShards masters;
        private final List<INDArray> grads = new ArrayList<>();  // null for an empty piece
        private final List<float[][]> states = new ArrayList<>();
        private final List<Boolean> frozen = new ArrayList<>(); // each piece: skipped by the step (a frozen layer's)
        private final List<MemoryLedger.Allocation> held = new ArrayList<>();
        private final KernelPool pool = new KernelPool(1);
        private final boolean onHeapInPlace;                   // cpu offload of both: stepped in the shards' arrays
        private OptimizerStateStore store;      // offload_optimizer: master and state of the concatenated pieces
        private HostTransfer transfer;
        private VectorStorage gradients;        // offload_optimizer: the pieces' gradients, as the store indexes them
        private VectorStorage ownedMasters;     // ... and their masters, where MasterShards keeps them

        /**
         * @param update      the optimizer
         * @param masters     the fp32 masters of all the model's parameters on this rank
         * @param tensorCount the model's parameter tensors
         */
        public Pieces(PiecewiseShardUpdate update, MasterShards masters, int tensorCount) {
            this.update = update;
            this.masters = masters;
            this.tensorCount = tensorCount;
            // the masters already in host memory (Java arrays, or ND4J arrays in place in the network's host memory):
            // the cpu optimizer steps them where they are, with the state in host arrays beside them
            this.onHeapInPlace = update.offload().device() == OffloadDevice.CPU && update.offload().ratio() >= 1
                    && (masters.onHeap() || masters.inHostArrays());
        }

        /**
         * Adds the next parameter's piece: its owned gradient array (null when the rank owns none of it); a frozen
         * piece is never stepped.
         */
        public void add(INDArray grad, MemoryLedger ledger, boolean frozenPiece) {
            if (frozenPiece && update.offloaded()) {
                throw new IllegalStateException("frozen parameters with offload_optimizer are refused before this");
            }
            frozen.add(frozenPiece);
            grads.add(grad);
            if (update.offloaded() && !onHeapInPlace || grad == null) {
                states.add(null); // offloaded: in the store, opened by open()
                return;
            }
            float[][] state = new float[update.kernel().stateWords()][(int) grad.length()];
            long bytes = 0;
            for (float[] word : state) {
                bytes += (long) Float.BYTES * word.length;
            }
            held.add(ledger.allocate(MemoryCategory.OPTIMIZER_STATE,
                    onHeapInPlace ? MemoryTier.HOST : MemoryTier.DEVICE, bytes,
                    "stage3 optimizer state (" + update.kernel().getClass().getSimpleName() + ")"));
            states.add(state);
        }

        private int owned(int piece) {
            INDArray g = grads.get(piece);
            return g == null ? 0 : (int) g.length();
        }

        /**
         * With {@code offload_optimizer}, after the last {@link #add}: opens the store over all pieces' owned
         * elements and loads their current masters into it; nothing otherwise.
         *
         * @throws IllegalArgumentException naming the key when the offload settings cannot work here
         */
        public void open(MemoryLedger ledger, long subGroupSize) {
            int[] lengths = new int[grads.size()];
            for (int i = 0; i < grads.size(); i++) {
                lengths[i] = owned(i);
            }
            ConcatenatedPieces all = new ConcatenatedPieces(lengths);
            if (!update.offloaded() || onHeapInPlace || all.total() == 0) {
                return; // onHeapInPlace: the state is the pieces' own (add), the masters are the shards' arrays
            }
            int n = Math.toIntExact(all.total());
            gradients = all.gradients(grads);
            ownedMasters = all.masters(masters);
            store = OptimizerStores.open(update.offload(), new StoreRequest(ledger.rank(), n,
                    update.kernel().stateWords(), Math.max(1, subGroupSize), ledger));
            try {
                transfer = HostTransfer.forCurrentBackend(ledger);
                store.initialize(ownedMasters);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        /**
         * One offloaded step: the store steps its sub-groups, reading each one's gradient from the pieces and writing
         * its updated master into the pieces' masters (no whole-shard copy of either).
         */
        private void applyOffloaded(StepArgs args) {
            transfer.step(store, update.kernel(), new StepInput(gradients, args, ownedMasters), pool);
        }

        /** True when an offload store steps the pieces (no sub-group staging on the heap is needed). */
        public boolean offloaded() {
            return store != null;
        }

        /** @return the offload store, or null (tests) */
        public OptimizerStateStore store() {
            return store;
        }

        /**
         * True when a step needs no heap staging ({@link #apply}'s {@code staging} may be empty): an offload store
         * steps the pieces, or every master is an ND4J array on the device, stepped where it lies.
         */
        public boolean stagesNothing() {
            return store != null || masters.onDevice() || onHeapInPlace;
        }

        /**
         * One step of every piece, sub-group after sub-group: DeepSpeed's step {@code iteration + 1} with the gradient
         * multiplier. Masters on the device are stepped in place, the kernel reading each segment's master and
         * gradient straight from their ND4J arrays through its own tiles, as DeepSpeed steps its fp32 partitions
         * where they lie. Other masters (offloaded by {@code offload_param}) are copied with the sub-group's gradients
         * into {@code staging} (master copies in {@code [0, largest)}, gradient copies in {@code [largest, 2
         * largest)}), stepped, and copied back. Either way the kernel computes on the same floats in the same order.
         *
         * @param plan    the sub-groups over the pieces, in the order {@link #add} received them
         * @param staging at least {@code 2 * plan.largest()} floats, unless {@link #stagesNothing()}
         */
        public void apply(int iteration, double gradMultiplier, SubGroupPlan plan, float[] staging, Collectives comm) {
            StepArgs args = update.optimizer().args(iteration, gradMultiplier);
            if (store != null) {
                applyOffloaded(args);
                return;
            }
            if (update.kernel() instanceof FusedLamb lamb) {
                applyLamb(lamb, args, plan, staging, comm);
                return;
            }
            for (List<SubGroupPlan.Segment> group : plan.groups()) {
                for (SubGroupPlan.Segment s : group) {
                    if (!frozen.get(s.piece())) { // a frozen piece's master is neither read nor written
                        update.kernel().step(load(s, staging, plan.largest(), true), args, pool);
                        store(s, staging);
                    }
                }
            }
        }

        /**
         * Lamb with DeepSpeed's per-tensor trust ratio: a first pass over every segment updates the moments and sums
         * each tensor's {@code ||p||^2} and {@code ||u||^2} over the rank's owned parts, one all-reduce completes the
         * sums over ranks, and a second pass applies each tensor's clamped ratio (masters written back).
         */
        private void applyLamb(FusedLamb lamb, StepArgs args, SubGroupPlan plan, float[] staging, Collectives comm) {
            int g0 = plan.largest();
            double[] sq = new double[2 * tensorCount];
            for (List<SubGroupPlan.Segment> group : plan.groups()) {
                for (SubGroupPlan.Segment s : group) {
                    if (frozen.get(s.piece())) {
                        continue;
                    }
                    double[] n = lamb.norms(load(s, staging, g0, true), args, pool, new Range(0, s.length()));
                    int t = s.piece();
                    sq[2 * t] += n[0];
                    sq[2 * t + 1] += n[1];
                }
            }
            double[] total = comm.allReduceSum(sq);
            for (List<SubGroupPlan.Segment> group : plan.groups()) {
                for (SubGroupPlan.Segment s : group) {
                    if (frozen.get(s.piece())) {
                        continue;
                    }
                    int t = s.piece();
                    lamb.apply(load(s, staging, g0, false), args, pool, new Range(0, s.length()),
                            lamb.coefficients().trustRatio(total[2 * t], total[2 * t + 1]));
                    store(s, staging);
                }
            }
        }

        /**
         * The kernel's view of one segment: its master and gradient in place on the device, or staged (the master,
         * and the gradient when {@code withGradient}) into {@code staging}; its range of the piece's state.
         */
        private OptimizerBuffers load(SubGroupPlan.Segment s, float[] staging, int g0, boolean withGradient) {
            List<Fp32Storage> state = new ArrayList<>();
            for (float[] word : states.get(s.piece())) {
                state.add(new HeapFp32(word, s.from(), s.length()));
            }
            if (masters.onDevice()) {
                return new OptimizerBuffers(segment(grads.get(s.piece()), s), segment(masters.array(s.piece()), s),
                        state, null);
            }
            if (onHeapInPlace) {
                return new OptimizerBuffers(segment(grads.get(s.piece()), s),
                        new HeapFp32(masters.heapArray(s.piece()), s.from(), s.length()), state, null);
            }
            masters.get(s.piece(), s.from(), staging, s.at(), s.length());
            if (withGradient) {
                HostFloats.current(grads.get(s.piece())).get(s.from(), staging, g0 + s.at(), s.length());
            }
            return new OptimizerBuffers(new HeapFp32(staging, g0 + s.at(), s.length()),
                    new HeapFp32(staging, s.at(), s.length()), state, null);
        }

        /** After stepping segment {@code s}: marks its device master written, or copies its staged master back. */
        private void store(SubGroupPlan.Segment s, float[] staging) {
            if (masters.onDevice()) {
                HostFloats.written(masters.array(s.piece()));
            } else if (!onHeapInPlace) { // in place on the heap: nothing to copy back
                masters.put(s.piece(), s.from(), staging, s.at(), s.length());
            }
        }

        /** Elements {@code [s.from, s.from + s.length)} of a contiguous FLOAT array, in place. */
        private static BufferFp32 segment(INDArray a, SubGroupPlan.Segment s) {
            FloatBuffer all = Nd4jStorage.fp32(a).buffer();
            return new BufferFp32(all.position(s.from()).slice().limit(s.length()), a);
        }

        /** @return the kernel's fp32 state words per element */
        public int stateWords() {
            return update.kernel().stateWords();
        }

        /**
         * Checkpoint export of state word {@code w}, from the heap or the offload store.
         *
         * @return a copy of each piece's owned values, in the order {@link #add} received the pieces (an empty array
         *         for a piece the rank owns none of)
         */
        public List<float[]> exportWord(int w) {
            float[] stored = null;
            if (store != null) {
                stored = new float[Math.toIntExact(store.length())];
                store.readState(w, stored, 0);
            }
            List<float[]> out = new ArrayList<>();
            int at = 0; // the piece's start in the store (the owned pieces concatenated in flat order)
            for (int i = 0; i < grads.size(); i++) {
                int n = owned(i);
                out.add(n == 0 ? new float[0] : stored == null ? states.get(i)[w].clone()
                        : Arrays.copyOfRange(stored, at, at + n));
                at += n;
            }
            return out;
        }

        /**
         * Checkpoint import: each piece's state from whole vectors over the flat parameter vector; with an offload
         * store, its master too (the pieces' own masters are the caller's).
         *
         * @param starts each piece's first owned element in the flat vector
         * @param master the whole fp32 master
         * @param words  each state word's whole vector
         */
        public void importState(long[] starts, float[] master, List<float[]> words) {
            if (store == null) {
                for (int w = 0; w < stateWords(); w++) {
                    for (int i = 0; i < grads.size(); i++) {
                        if (owned(i) > 0) {
                            System.arraycopy(words.get(w), Math.toIntExact(starts[i]), states.get(i)[w], 0, owned(i));
                        }
                    }
                }
                return;
            }
            List<HeapFp32> stored = new ArrayList<>();
            for (float[] word : words) {
                stored.add(concatenated(word, starts));
            }
            store.restore(concatenated(master, starts), stored);
        }

        /**
         * The owned pieces of a whole canonical vector, concatenated in flat order (as the offload store keeps them).
         */
        private HeapFp32 concatenated(float[] whole, long[] starts) {
            int n = Math.toIntExact(store.length());
            float[] out = new float[n];
            int at = 0;
            for (int i = 0; i < grads.size(); i++) {
                if (owned(i) > 0) { // an empty piece's start may lie past the vector's end
                    System.arraycopy(whole, Math.toIntExact(starts[i]), out, at, owned(i));
                    at += owned(i);
                }
            }
            return new HeapFp32(out, 0, n);
        }

        /** Releases the offload store (its host memory, its nvme files) and stops the kernel's threads. */
        public void close() {
            held.forEach(MemoryLedger.Allocation::close);
            try {
                if (store != null) {
                    store.close();
                }
            } finally {
                try {
                    if (transfer != null) {
                        transfer.close();
                    }
                } finally {
                    pool.close();
                }
            }
        }
    }
}
