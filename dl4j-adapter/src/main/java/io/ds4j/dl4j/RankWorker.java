package io.ds4j.dl4j;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.config.ZeroConfig;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;
import io.ds4j.zero.step.GradientBuckets;
import io.ds4j.zero.step.ReducedGradient;
import io.ds4j.zero.step.ZeroStep;
import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.zero.update.DeepSpeedOptimizer;
import io.ds4j.zero.update.LambTensors;
import io.ds4j.zero.update.OffloadedShardUpdate;
import io.ds4j.zero.update.ResidentShardUpdate;
import io.ds4j.zero.update.ShardUpdate;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One rank of a {@link ZeroTrainer}: its replica, its stage's {@link ZeroStep}, and the update of its update range.
 * Lives on the rank's thread during {@code fit}.
 *
 * <p>One optimizer step: at stages 0-1 with one micro-batch the step reduces DL4J's flat gradient view in place,
 * bucket by bucket (so the update range of the view holds the mean over ranks); with accumulation each micro-batch's
 * summed gradient (the view, read in place) goes into the step's accumulator, and the reduced mean over ranks is
 * written into the update range's gradient; at stage 2
 * {@link BucketedBackward} drives the backward pass layer by layer and {@link GradientBuckets} reduces each layer's
 * gradient into the range's own array, so no full-size gradient exists. The range's gradient is divided by the
 * examples per rank (giving the mean over the global batch); the global norm is the square root of the all-reduced
 * sum of the shards' squared norms. Then either (no {@code optimizer} section) the gradient is clipped, normalised per
 * layer and turned into the update by the network's own DL4J updaters and subtracted, or (an {@code optimizer}
 * section) DeepSpeed's fused optimizer updates the shard, reading the gradient times DeepSpeed's clip factor.
 * Finally the updated shards are gathered straight into every replica's parameters ({@link ParamGather}).
 *
 * <p>fp16/bf16 ({@link RankPrecision}): each micro-batch's gradient is stored as the 16-bit micro-batch mean (scale
 * included), the reduced range is rounded to {@code communication_data_type}, the overflow flag is all-reduced and an
 * overflowing step returns before any update; otherwise the gradient is divided by the accumulation steps and
 * unscaled, the optimizer updates the fp32 master of the range, and the range's compute copy becomes the master
 * rounded to the 16-bit format before the gather.
 *
 * <p>HALF compute ({@link Replica#half()}): the replica's network produces the stored gradient itself (its loss
 * gradient is multiplied by {@code scale / m} in fp32 and rounded to fp16, so backpropagation yields
 * {@code scale x (mean-loss gradient)} in fp16, as DeepSpeed's backward does), which is read exactly into the FLOAT
 * accumulation buffer and checked for Inf/NaN; the update range's gradient is a FLOAT array of its own, the range's
 * compute copy is the master rounded to fp16 when it is gathered, and the gathered values are cast exactly into the
 * HALF network.
 */
final class RankWorker implements AutoCloseable {

    private final Collectives comm;
    private final Replica replica;
    private final ZeroStep step;
    private final ShardLayout layout;
    private final EngineOptions options;
    private final Range range;
    private final ShardGradient gradient;
    private final ShardUpdater updater;
    private final ShardUpdate fused;
    private final KernelPool pool;
    private final INDArray gradRange;
    private final INDArray paramRange;
    private final float[] padded;          // stages 0-1, HALF replica: its gradient view cast to floats
    private final GradientBuckets buckets;  // stage 2: the gradient reduced bucket by bucket during backward
    private final BucketedBackward backward;
    private final RankPrecision precision;
    private final INDArray master;
    private final List<MemoryLedger.Allocation> held = new java.util.ArrayList<>();
    private final MemoryLedger ledger;
    private boolean accumulatorHeld;        // stages 0-1: the step's accumulator is in the ledger
    private double lastNorm = Double.NaN;
    private boolean lastSkipped;

    RankWorker(Collectives comm, Replica replica, RankPrecision precision, EngineOptions options,
               MemoryLedger ledger) {
        this.comm = comm;
        this.replica = replica;
        this.precision = precision;
        this.ledger = ledger;
        this.layout = new ShardLayout(replica.params().length(), comm.worldSize(), 2);
        this.options = options;
        this.step = ZeroStep.create(options.zero().stage(), comm, layout, new ZeroStep.Buckets(
                options.zero().buckets().reduceBucketSize(), options.zero().buckets().allgatherBucketSize()),
                options.scaling());
        this.range = step.updateRange();
        FlatLayout flat = FlatLayout.of(replica.net());
        boolean empty = range.isEmpty();
        boolean bucketed = options.zero().stage() == 2;
        // HALF replica or stage 2: the range's gradient lives in a FLOAT array of its own (stage 2: there is no
        // full-size gradient view to take it from; HALF: fp32 arithmetic)
        boolean own = replica.half() || bucketed;
        this.gradRange = empty ? Nd4j.create(DataType.FLOAT, 0) : own ? Nd4j.create(DataType.FLOAT, range.length())
                : ShardUpdater.slice(replica.gradients(), range.offset(), range.end());
        // a HALF replica has no FLOAT view of its parameters: the master starts from the user's fp32 values, and
        // the compute copy is rounded from the master at each gather
        this.paramRange = empty ? Nd4j.create(DataType.FLOAT, 0)
                : ShardUpdater.slice(own ? replica.fp32Params() : replica.params(), range.offset(), range.end());
        this.gradient = new ShardGradient(flat, range.offset(), range.end(), gradRange,
                options.optimizer().isEmpty());
        precision.requireSupported(flat);
        // mixed precision: the optimizer updates an fp32 master of the range; the replica computes on its rounding
        this.master = precision.mixed() ? paramRange.dup() : paramRange; // a HALF replica is always fp16 (mixed)
        java.util.Optional<DeepSpeedOptimizer> optimizer = DeepSpeedOptimizers.of(options, replica.net());
        if (optimizer.isPresent()) {
            // Lamb's trust ratio is per tensor; at stages 1-2 a tensor can be split across ranks
            boolean split = options.zero().stage() > 0 && comm.worldSize() > 1;
            this.fused = optimizerStep(optimizer.get(), options.zero(), master, gradRange, ledger,
                    flat.lambTensors(range.offset(), range.end(), split ? comm : null));
            this.pool = new KernelPool(1);
            this.updater = null;
        } else {
            requireNoOffload(options.zero());
            if (options.zero().stage() > 0 && comm.worldSize() > 1) {
                ShardUpdater.requireShardable(flat, options.zero().stage());
            }
            this.updater = ShardUpdater.forShard(flat, range.offset(), range.end(), master, gradRange);
            this.fused = null;
            this.pool = null;
        }
        // a HALF replica's gradient view is cast to floats here; a FLOAT one is read in place
        this.padded = bucketed || !replica.half() ? null : new float[(int) layout.paddedLength()];
        this.buckets = bucketed ? new GradientBuckets(comm, layout, options.zero().buckets().reduceBucketSize(),
                options.scaling(), empty ? java.nio.FloatBuffer.allocate(0) : HostFloats.current(gradRange), ledger)
                : null;
        this.backward = bucketed ? new BucketedBackward(replica, flat, buckets, precision, ledger) : null;
        record(ledger);
    }

    /**
     * The shard's DeepSpeed optimizer step: in a store on the host or on disk when {@code offload_optimizer} asks
     * for it at stage 1 or 2 (at stage 0 DeepSpeed ignores the setting and so does the engine; the config reader
     * warns), otherwise in arrays next to the network.
     */
    static ShardUpdate optimizerStep(DeepSpeedOptimizer update, ZeroConfig zero, INDArray paramRange,
            INDArray gradRange, MemoryLedger ledger, LambTensors tensors) {
        if (zero.offloadsOptimizer() && zero.stage() > 0) { // Lamb was refused by DeepSpeedOptimizers.of
            return OffloadedShardUpdate.open(update, zero, paramRange, gradRange, ledger);
        }
        return new ResidentShardUpdate(update, paramRange, gradRange, tensors);
    }

    /**
     * The network's own DL4J updaters (no {@code optimizer} section) run as ND4J ops on the state array DL4J laid out
     * per layer, so they cannot run from a store; DeepSpeed likewise refuses a client optimizer with ZeRO-Offload
     * ({@code zero_force_ds_cpu_optimizer}) and asks for its CPU optimizer.
     */
    static void requireNoOffload(ZeroConfig zero) {
        if (zero.offloadsOptimizer() && zero.stage() > 0) {
            throw new IllegalArgumentException("zero_optimization.offload_optimizer.device: "
                    + zero.offloadOptimizer().device().jsonName() + " needs DeepSpeed's optimizer: the network's own"
                    + " DL4J updaters cannot run on offloaded state; add an \"optimizer\" section (e.g. {\"type\":"
                    + " \"Adam\", \"params\": {\"lr\": \"auto\"}}) or set offload_optimizer.device to none");
        }
    }

    /**
     * Accounts every buffer this rank holds from the buffer itself (its length times its element width), not from
     * ZeRO's formulas: the replica's parameters, the master of the range (mixed precision), the gradient (at stages
     * 0-1 DL4J's flat gradient view, or a HALF replica's FLOAT copy of it, which the step reduces in place; the step's
     * full-size accumulator instead when accumulation first allocates it; at stage 2 the range's own array), the
     * optimizer state, and as COMM_BUFFERS what only moves data (the step's bucket at stages 0-1, a HALF replica's
     * gradient view and the range's FLOAT gradient there, the optimizer's staging). Stage 2's bucket and gradient
     * scratch are accounted by {@link GradientBuckets} and {@link BucketedBackward} when they allocate them.
     */
    private void record(MemoryLedger ledger) {
        String form = replica.half() ? "fp16 values held in FLOAT buffers (4 B each)"
                : precision.format() + " values held in FLOAT arrays (4 B each: the network computes in FLOAT)";
        hold(ledger, MemoryCategory.PARAMETERS, BucketedBackward.bytes(replica.params()),
                replica.half() ? "replica compute copy: HALF network (fp16, 2 B each)" : precision.mixed()
                        ? "replica compute copy: " + form : "replica parameters (fp32, master)");
        if (master != paramRange) {
            hold(ledger, MemoryCategory.MASTER_WEIGHTS, BucketedBackward.bytes(master),
                    "fp32 master weights of the update range");
        }
        String what = precision.mixed() ? "accumulated stored gradient: " + form : "accumulated gradient";
        if (buckets != null) {
            hold(ledger, MemoryCategory.GRADIENTS, BucketedBackward.bytes(gradRange),
                    what + " (the update range only)");
        } else {
            // one micro-batch per step: the backward's own gradient (DL4J's view, or a HALF replica's FLOAT copy of
            // it) is reduced in place; the step's accumulator is accounted when accumulation first allocates it
            long view = BucketedBackward.bytes(replica.gradients());
            long copy = padded == null ? 0 : 4L * padded.length;
            hold(ledger, MemoryCategory.GRADIENTS, replica.half() ? copy : view, what + (replica.half()
                    ? " (the HALF gradient view's FLOAT copy, reduced in place)" : " (DL4J's flat gradient view,"
                    + " reduced in place)"));
            long range = replica.half() ? BucketedBackward.bytes(gradRange) : 0;
            hold(ledger, MemoryCategory.COMM_BUFFERS, 4 * step.bucketElements() + (replica.half() ? view : 0) + range,
                    "reduce and gather bucket" + (replica.half() ? ", DL4J's HALF gradient view" : "")
                            + (range > 0 ? ", the range's FLOAT gradient" : ""));
        }
        long state = fused != null ? fused.stateElements()
                : updater.state() == null ? 0 : BucketedBackward.bytes(updater.state()) / 4;
        hold(ledger, MemoryCategory.OPTIMIZER_STATE, 4 * state, "optimizer state of the shard");
        long staging = fused != null ? fused.stagingElements() : 0;
        if (staging > 0) {
            hold(ledger, MemoryCategory.COMM_BUFFERS, 4 * staging, "optimizer staging copies");
        }
    }

    /** Accounts the step's accumulator (stages 0-1 with accumulation) once, when accumulation has allocated it. */
    private void holdAccumulator() {
        if (!accumulatorHeld) {
            accumulatorHeld = true;
            hold(ledger, MemoryCategory.GRADIENTS, 4 * (step.bufferElements() - step.bucketElements()),
                    "accumulated gradient (gradient_accumulation_steps > 1)");
        }
    }

    private void hold(MemoryLedger ledger, MemoryCategory category, long bytes, String label) {
        held.add(ledger.allocate(category, MemoryTier.DEVICE, bytes, label));
    }

    /**
     * Runs one optimizer step.
     *
     * @param micro this rank's micro-batches, in order
     * @param globalExamples examples in the whole global batch
     * @param iteration DL4J's iteration count for the updaters (DeepSpeed's step is {@code iteration + 1})
     * @param epoch DL4J's epoch count
     * @return the global score (example-weighted mean of the micro-batch scores over all ranks)
     */
    double step(List<MultiDataSet> micro, long globalExamples, int iteration, int epoch) {
        double weightedScore = 0;
        boolean overflow = false;
        int n = (int) layout.length();
        for (MultiDataSet mb : micro) {
            long m = mb.getFeatures(0).size(0);
            precision.beforeBackward(m);
            if (backward != null) {
                weightedScore += backward.run(mb, m, micro.size() * comm.worldSize(), globalExamples) * m;
                continue;
            }
            weightedScore += replica.computeGradient(mb) * m;
            int parts = micro.size() * comm.worldSize();
            java.nio.FloatBuffer local;
            if (replica.half()) {
                HostFloats.read(replica.gradients(), padded, 0); // exact: every fp16 value is a float
                overflow |= io.ds4j.precision.Overflow.hasInfOrNaN(padded, 0, n);
                precision.weigh(padded, n, m, parts, globalExamples);
                local = java.nio.FloatBuffer.wrap(padded);
            } else {
                overflow |= precision.store(replica.gradients(), (int) m);
                precision.weigh(replica.gradients(), m, parts, globalExamples);
                local = HostFloats.buffer(replica.gradients());
            }
            if (micro.size() == 1) {
                step.reduceInPlace(local); // the range's mean over ranks is now in the view (or the HALF copy)
            } else {
                step.accumulate(local);
                holdAccumulator();
            }
        }
        if (backward != null) {
            overflow |= backward.takeOverflow();
            buckets.finish(); // the range's gradient is in gradRange's host buffer
            if (!range.isEmpty()) {
                HostFloats.written(gradRange);
            }
        } else if (micro.size() > 1) {
            ReducedGradient red = step.reduce();
            if (!range.isEmpty()) {
                HostFloats.write(red.data(), red.offset(), gradRange);
            }
        } else if (replica.half()) {
            if (!range.isEmpty()) {
                HostFloats.write(padded, (int) range.offset(), gradRange);
            }
        } else {
            HostFloats.written(replica.gradients()); // gradRange is the range of the view, reduced in place
        }
        double score = comm.allReduceSum(weightedScore) / globalExamples;
        lastSkipped = false;
        if (precision.mixed()) {
            double scale = precision.scale().value();
            overflow |= precision.roundReduced(gradRange);
            lastSkipped = precision.afterStep(comm.allReduceMax(overflow ? 1 : 0) > 0);
            if (lastSkipped) {
                return score;   // no parameter change, no optimizer or schedule step
            }
            gradient.average(micro.size(), micro.size());   // stored gradients are already micro-batch means
            gradient.scale(1.0 / scale);                    // unscaled into fp32 before clipping and normalization
        } else {
            gradient.average(globalExamples / (double) comm.worldSize(), micro.size());
        }
        update(iteration, epoch);
        gather();
        return score;
    }

    /** Clips, normalises and updates the (fp32, unscaled) gradient of the range; refreshes the compute copy. */
    private void update(int iteration, int epoch) {
        lastNorm = Math.sqrt(sum(gradient.clipSumOfSquares()));
        double multiplier = options.clipping().multiplier(lastNorm);
        if (fused != null) {
            fused.apply(iteration, multiplier, pool);
        } else {
            gradient.scale(multiplier);
            double[] norms = gradient.normalizationSumsOfSquares();
            for (int k = 0; k < norms.length; k++) {
                norms[k] = sum(norms[k]);
            }
            gradient.normalize(norms);
            updater.gradientToUpdate(iteration, epoch);
            master.subi(gradRange);
        }
        if (master != paramRange && !range.isEmpty() && !replica.half()) {
            paramRange.assign(master);
            precision.roundCompute(paramRange);
        }
    }

    /**
     * With a HALF replica, writes its compute copy (fp16 values, cast exactly) into {@code target}, the user's FLOAT
     * flat parameters; a FLOAT replica computes on the user's network or a copy of it and does nothing here.
     */
    void showComputeCopy(INDArray target) {
        if (replica.half()) {
            target.assign(replica.params());
        }
    }

    /** @return the replica's compute copy as floats (for tests: every rank's must be the same after a step) */
    float[] computeCopy() {
        return replica.params().toFloatVector();
    }

    /** @return the data type the replica's network computes in */
    DataType computeType() {
        return replica.params().dataType();
    }

    /** @return whether the last step overflowed and was skipped */
    boolean lastSkipped() {
        return lastSkipped;
    }

    /** @return this rank's precision state */
    RankPrecision precision() {
        return precision;
    }

    /** Before {@code fit}, on the caller's thread: the replica computes on the rounded compute copy. */
    void beginFit() {
        precision.beginFit(replica);
    }

    /**
     * After {@code fit}, on the caller's thread: the replica's loss functions are restored and {@code target} (the
     * user's flat parameters) gets this rank's fp32 master values of its update range.
     */
    void endFit(INDArray target) {
        precision.endFit();
        if (backward != null) {
            replica.restoreGradientViews();
        }
        if (master != paramRange && !range.isEmpty()) {
            ShardUpdater.slice(target, range.offset(), range.end()).assign(master);
        }
    }

    /**
     * Ranks as processes, after {@link #endFit}: {@code target} gets every rank's fp32 master range (in one JVM the
     * ranks write their ranges into the same network themselves).
     */
    void gatherMasterFromAll(INDArray target) {
        if (master != paramRange && options.zero().stage() > 0 && comm.worldSize() > 1) {
            ProcessRanks.gatherMaster(comm, target, layout);
        }
    }

    /** The sum over ranks of a shard's partial sum; each rank's own value when every rank holds everything. */
    private double sum(double partial) {
        return options.zero().stage() > 0 && comm.worldSize() > 1 ? comm.allReduceSum(partial) : partial;
    }

    private void gather() {
        if (options.zero().stage() == 0) {
            if (replica.half()) {
                // fp16 values, an exact cast, chunk by chunk through the step's bucket
                float[] staging = step.idleBuffer();
                for (long at = 0; at < range.length(); at += staging.length) {
                    int len = (int) Math.min(staging.length, range.length() - at);
                    ownComputeValues(at, len, staging, 0);
                    HostFloats.write(staging, 0, ShardUpdater.slice(replica.params(), at, at + len));
                }
            }
            return;
        }
        float[] staging = buckets != null ? buckets.staging() : step.idleBuffer();
        ParamGather.gather(comm, layout, options.zero().buckets().allgatherBucketSize(), staging, replica.params(),
                this::ownComputeValues);
    }

    /**
     * Copies the compute copy of {@code n} elements of the update range from {@code from} (relative to the range)
     * into {@code dst[at, +n)}: the replica's own values, or for a HALF replica the master rounded to fp16.
     */
    private void ownComputeValues(long from, int n, float[] dst, int at) {
        if (!replica.half()) {
            HostFloats.read(ShardUpdater.slice(paramRange, from, from + n), dst, at);
            return;
        }
        HostFloats.read(ShardUpdater.slice(master, from, from + n), dst, at);
        precision.roundCompute(dst, at, n);
    }

    /**
     * Checkpoint export, between steps: this rank's pieces of the canonical vectors ({@link
     * io.ds4j.dl4j.checkpoint.EngineState}): its range of the fp32 master and of the optimizer state.
     */
    io.ds4j.dl4j.checkpoint.RankShard exportShard() {
        java.util.Map<String, List<io.ds4j.dl4j.checkpoint.StatePiece>> v = new java.util.HashMap<>();
        long off = range.offset();
        v.put(TrainerState.MASTER, List.of(new io.ds4j.dl4j.checkpoint.StatePiece(off, HostFloats.read(master))));
        if (updater != null) {
            v.put(TrainerState.UPDATER, UpdaterStatePieces.export(FlatLayout.of(replica.net()), off, range.end(),
                    updater.state()));
        } else {
            for (int w = 0; w < stateWords(); w++) {
                float[] word = new float[(int) range.length()];
                if (fused instanceof OffloadedShardUpdate o) {
                    o.store().readState(w, word, 0);
                } else {
                    System.arraycopy(((ResidentShardUpdate) fused).stateWord(w), 0, word, 0, word.length);
                }
                v.put(TrainerState.state(w), List.of(new io.ds4j.dl4j.checkpoint.StatePiece(off, word)));
            }
        }
        return new io.ds4j.dl4j.checkpoint.RankShard(comm.rank(), v);
    }

    /** @return the fused kernel's state words per element (0 with the network's own DL4J updaters) */
    int stateWords() {
        return fused == null ? 0 : fused instanceof OffloadedShardUpdate o ? o.store().stateWords()
                : ((ResidentShardUpdate) fused).stateWords();
    }

    /**
     * Checkpoint import, between fits: the replica's parameters become the whole master (rounded to the compute
     * format when the next {@code fit} begins), the range's master and optimizer state are taken from the whole
     * canonical vectors.
     */
    void importShard(java.util.Map<String, float[]> full) {
        float[] m = full.get(TrainerState.MASTER);
        HostFloats.write(m, 0, replica.params()); // a HALF replica gets the exact cast (its rounding)
        int off = (int) range.offset();
        if (master != paramRange) {
            HostFloats.write(m, off, master);
        }
        if (updater != null) {
            UpdaterStatePieces.restore(FlatLayout.of(replica.net()), off, range.end(), full.get(TrainerState.UPDATER),
                    updater.state());
            return;
        }
        int n = (int) range.length();
        if (fused instanceof OffloadedShardUpdate o) {
            List<io.ds4j.zero.kernels.HeapFp32> words = new java.util.ArrayList<>();
            for (int w = 0; w < stateWords(); w++) {
                words.add(new io.ds4j.zero.kernels.HeapFp32(full.get(TrainerState.state(w)), off, n));
            }
            o.store().restore(new io.ds4j.zero.kernels.HeapFp32(m, off, n), words);
        } else {
            for (int w = 0; w < stateWords(); w++) {
                System.arraycopy(full.get(TrainerState.state(w)), off, ((ResidentShardUpdate) fused).stateWord(w), 0, n);
            }
        }
    }

    /** @return the length of the largest data buffer a layer's gradient view references (tests: stage 2 memory) */
    long largestReferencedGradientBuffer() {
        if (backward != null) {
            return backward.largestReferencedGradientBuffer();
        }
        return replica.gradients().data().length();
    }

    /** @return the global gradient norm of the last step, before clipping */
    double lastGradientNorm() {
        return lastNorm;
    }

    @Override
    public void close() {
        held.forEach(MemoryLedger.Allocation::close);
        if (backward != null) {
            backward.close();
            buckets.close();
        }
        try {
            if (fused != null) {
                fused.close();
            }
        } finally {
            if (pool != null) {
                pool.close();
            }
        }
    }
}
