package io.ds4j.dl4j;

import io.ds4j.zero.comm.Collectives;
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
    private final RangeValues values;  // the range's values out of the rank and back
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
            this.fused = DeepSpeedOptimizers.optimizerStep(optimizer.get(), options.zero(), master, gradRange, ledger,
                    flat.lambTensors(range.offset(), range.end(), split ? comm : null));
            this.pool = new KernelPool(1);
            this.updater = null;
        } else {
            DeepSpeedOptimizers.requireNoOffload(options.zero());
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
        this.values = new RangeValues(comm, replica, precision, layout, range, master, paramRange, updater, fused,
                options.zero().stage() > 0 && comm.worldSize() > 1);
        record(ledger);
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
        values.gather(options.zero().stage(), options.zero().buckets().allgatherBucketSize(),
                () -> buckets != null ? buckets.staging() : step.idleBuffer()); // stage 2's staging, or the bucket
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
        values.masterInto(target);
    }

    /**
     * Ranks as processes, after {@link #endFit}: {@code target} gets every rank's fp32 master range (in one JVM the
     * ranks write their ranges into the same network themselves).
     */
    void gatherMasterFromAll(INDArray target) {
        values.gatherMasterFromAll(target);
    }

    /** The sum over ranks of a shard's partial sum; each rank's own value when every rank holds everything. */
    private double sum(double partial) {
        return options.zero().stage() > 0 && comm.worldSize() > 1 ? comm.allReduceSum(partial) : partial;
    }

    /** Checkpoint export, between steps: this rank's pieces of the canonical vectors (see {@link RangeValues}). */
    io.ds4j.dl4j.checkpoint.RankShard exportShard() {
        return values.exportShard();
    }

    /** @return the fused kernel's state words per element (0 with the network's own DL4J updaters) */
    int stateWords() {
        return values.stateWords();
    }

    /** Checkpoint import, between fits: the replica's parameters, the range's master and optimizer state. */
    void importShard(java.util.Map<String, float[]> full) {
        values.importShard(full);
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
