package io.ds4j.dl4j;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;
import io.ds4j.zero.step.ReducedGradient;
import io.ds4j.zero.step.ZeroStep;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One rank of a {@link ZeroTrainer}: its replica, its stage's {@link ZeroStep}, and the DL4J-semantics update of its
 * update range. Lives on the rank's thread for one {@code fit}.
 *
 * <p>One optimizer step: each micro-batch's summed gradient goes into the step; the reduced mean over ranks of the
 * rank sums is written into the replica's gradient view for the update range; it is divided by the examples per rank
 * (giving the mean over the global batch), clipped by the global norm (sum of squares all-reduced over ranks),
 * normalised per layer, turned into the update by the network's updaters and subtracted; the updated shards are
 * gathered into every replica.
 */
final class RankWorker {

    private final Collectives comm;
    private final Replica replica;
    private final ZeroStep step;
    private final ShardLayout layout;
    private final EngineOptions options;
    private final Range range;
    private final ShardGradient gradient;
    private final ShardUpdater updater;
    private final INDArray gradRange;
    private final INDArray paramRange;
    private final float[] padded;
    private double lastNorm = Double.NaN;

    RankWorker(Collectives comm, Replica replica, ShardLayout layout, EngineOptions options, MemoryLedger ledger) {
        this.comm = comm;
        this.replica = replica;
        this.layout = layout;
        this.options = options;
        this.step = ZeroStep.create(options.zero().stage(), comm, layout, new ZeroStep.Buckets(
                options.zero().buckets().reduceBucketSize(), options.zero().buckets().allgatherBucketSize()),
                options.scaling());
        this.range = step.updateRange();
        FlatLayout flat = FlatLayout.of(replica.net());
        if (options.zero().stage() > 0 && comm.worldSize() > 1) {
            ShardUpdater.requireShardable(flat, options.zero().stage());
        }
        boolean empty = range.isEmpty();
        this.gradRange = empty ? Nd4j.create(DataType.FLOAT, 0) : ShardUpdater.slice(replica.gradients(),
                range.offset(), range.end());
        this.paramRange = empty ? Nd4j.create(DataType.FLOAT, 0) : ShardUpdater.slice(replica.params(),
                range.offset(), range.end());
        this.gradient = new ShardGradient(flat, range.offset(), range.end(), gradRange);
        this.updater = ShardUpdater.forShard(flat, range.offset(), range.end(), paramRange, gradRange);
        this.padded = new float[(int) layout.paddedLength()];
        record(ledger);
    }

    private void record(MemoryLedger ledger) {
        long psi = layout.length();
        ledger.allocate(MemoryCategory.PARAMETERS, MemoryTier.DEVICE, 4 * psi, "replica parameters (fp32, master)");
        long accumulated = options.zero().stage() == 2 ? layout.shardLength() : layout.paddedLength();
        ledger.allocate(MemoryCategory.GRADIENTS, MemoryTier.DEVICE, 4 * accumulated, "accumulated gradient");
        long state = updater.state() == null ? 0 : updater.state().length();
        ledger.allocate(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE, 4 * state, "DL4J updater state of the shard");
        long buffers = step.bufferElements() - accumulated + padded.length + psi;
        ledger.allocate(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE, 4 * buffers,
                "DL4J backprop gradient view, staging buffer, reduce-scatter receive buffer");
    }

    /**
     * Runs one optimizer step.
     *
     * @param micro this rank's micro-batches, in order
     * @param globalExamples examples in the whole global batch
     * @param iteration DL4J's iteration count for the updaters
     * @param epoch DL4J's epoch count
     * @return the global score (example-weighted mean of the micro-batch scores over all ranks)
     */
    double step(List<MultiDataSet> micro, long globalExamples, int iteration, int epoch) {
        double weightedScore = 0;
        int n = (int) layout.length();
        for (MultiDataSet mb : micro) {
            weightedScore += replica.computeGradient(mb) * mb.getFeatures(0).size(0);
            float[] g = replica.gradients().toFloatVector();
            System.arraycopy(g, 0, padded, 0, n);
            step.accumulate(padded);
        }
        ReducedGradient red = step.reduce();
        if (!range.isEmpty()) {
            float[] own = java.util.Arrays.copyOfRange(red.data(), red.offset(), red.offset() + red.length());
            gradRange.assign(Nd4j.createFromArray(own));
        }
        gradient.average(globalExamples / (double) comm.worldSize(), micro.size());
        double sumSq = gradient.clipSumOfSquares();
        lastNorm = Math.sqrt(sharded() ? comm.allReduceSum(sumSq) : sumSq);
        gradient.scale(options.clipping().scale(lastNorm));
        double[] norms = gradient.normalizationSumsOfSquares();
        if (sharded()) {
            for (int k = 0; k < norms.length; k++) {
                norms[k] = comm.allReduceSum(norms[k]);
            }
        }
        gradient.normalize(norms);
        updater.gradientToUpdate(iteration, epoch);
        paramRange.subi(gradRange);
        gather();
        return comm.allReduceSum(weightedScore) / globalExamples;
    }

    private boolean sharded() {
        return options.zero().stage() > 0 && comm.worldSize() > 1;
    }

    private void gather() {
        if (options.zero().stage() == 0) {
            return;
        }
        java.util.Arrays.fill(padded, 0f);
        if (!range.isEmpty()) {
            float[] own = paramRange.toFloatVector();
            System.arraycopy(own, 0, padded, (int) range.offset(), own.length);
        }
        step.gather(padded);
        INDArray full = Nd4j.createFromArray(java.util.Arrays.copyOf(padded, (int) layout.length()));
        replica.params().assign(full);
    }

    /** @return the global gradient norm of the last step, before clipping */
    double lastGradientNorm() {
        return lastNorm;
    }
}
