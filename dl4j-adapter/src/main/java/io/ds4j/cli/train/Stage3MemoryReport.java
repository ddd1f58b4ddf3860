package io.ds4j.cli.train;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.zero.config.ZeroConfig;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.ledger.ModelStateBytes;
import io.ds4j.zero.ledger.TrainingPrecision;
import io.ds4j.zero.ledger.ZeroFormulas;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@code ds4j train} prints after a ZeRO stage-3 run: per rank, the persistent model-state bytes (parameters,
 * gradients, optimizer state, fp32 masters, every tier) against the fp32 formula {@code (4 + 4 + K)Ψ/N} with
 * {@code K = 4w} (w: the DL4J updater's state words per parameter; in fp32 the partitioned parameters are the
 * master, also when {@code offload_param} moves them to the host or to disk, so parameter offload adds nothing), plus
 * {@code 4Ψ/N} for the master held by the optimizer's store when {@code offload_optimizer} is on; the line of each
 * rank splits the bytes it holds by tier (device, host, disk: with {@code offload_param} the shards leave the device
 * tier); and the peak of the
 * transient bytes (gathered parameters, gradient tensors during their reduce-scatter, the compute scratch: ledger
 * COMM_BUFFERS) against the bound derived from the knobs:
 * <pre>
 *   kept  = 0 if stage3_max_reuse_distance is 0, else min(stage3_max_reuse_distance, Ψ) + largest module
 *   live  = min(largest module + stage3_max_live_parameters + largest tensor + kept, Ψ) + tensors (N - 1)
 *   bound = 8 largest module + 4 (live + largest tensor + N + largest tensor / N + 1)                 bytes
 * </pre>
 * (live counts elements: the module being run; prefetching stops once the live limit is reached, overshooting by at
 * most one tensor; a parameter is kept after its module only when it is used again within the reuse distance of
 * trace ahead, and those uses span at most that distance plus the module that crosses it; every tensor is padded by
 * less than N. During a reduce-scatter one full gradient tensor and its shard are held too; the two compute scratch
 * arrays hold the largest module.) With DeepSpeed's default reuse distance (1e9) every parameter a forward gathers
 * may stay gathered until its backward, so the bound is the whole model. (With {@code offload_optimizer} the store's
 * step stages the owned gradient and master on the host: ledger OFFLOAD_BUFFERS, not part of this bound.) Persistent
 * parameters
 * ({@code stage3_param_persistence_threshold}) are full copies on every rank and push the ratio above 1.
 *
 * @param psi        Ψ, the network's parameters
 * @param worldSize  N
 * @param stateWords w
 * @param offload    whether {@code offload_param} keeps the shards (the fp32 master) on the host or on disk
 * @param offloadOptimizer whether {@code offload_optimizer} keeps the fp32 master (and the state) in its store
 * @param bound      the transient bound in bytes
 */
public record Stage3MemoryReport(long psi, int worldSize, int stateWords, boolean offload, boolean offloadOptimizer,
                                 long bound) {

    /**
     * The report's constants for {@code layers} (the network's layers) trained under {@code zero}.
     *
     * @param layers      the network's layers
     * @param stateLength the DL4J updater state elements of the whole network
     * @param zero        {@code zero_optimization}
     * @param worldSize   N
     * @return the report
     */
    public static Stage3MemoryReport of(Layer[] layers, long stateLength, ZeroConfig zero, int worldSize) {
        long psi = 0;
        long largestModule = 0;
        long largestTensor = 0;
        long tensors = 0;
        for (Layer l : layers) {
            psi += l.numParams();
            largestModule = Math.max(largestModule, l.numParams());
            for (INDArray p : l.paramTable().values()) {
                largestTensor = Math.max(largestTensor, p.length());
                tensors++;
            }
        }
        long n = worldSize;
        long maxLive = zero.stage3().maxLiveParameters();
        long reuse = zero.stage3().maxReuseDistance();
        long kept = reuse == 0 ? 0 : Math.min(reuse, psi) + largestModule;
        long live = Math.min(saturatedSum(largestModule, maxLive, largestTensor + kept), psi) + tensors * (n - 1);
        long bound = 8 * largestModule + 4 * (live + largestTensor + n + largestTensor / n + 1);
        int words = psi == 0 ? 0 : (int) Math.round((double) stateLength / psi);
        return new Stage3MemoryReport(psi, worldSize, words, zero.offloadsParams(), zero.offloadsOptimizer(), bound);
    }

    private static long saturatedSum(long a, long b, long c) {
        long s = a + b;
        s = s < 0 ? Long.MAX_VALUE : s;
        return s + c < 0 ? Long.MAX_VALUE : s + c;
    }

    /** @return the formula's bytes per rank */
    public long formulaBytes() {
        long shard = (psi + worldSize - 1) / worldSize;
        return ZeroFormulas.perRank(3, TrainingPrecision.FP32, stateWords, psi, worldSize).total()
                + (offloadOptimizer ? 4 * shard : 0);
    }

    /** @return the formula as text, K filled in */
    public String formula() {
        if (!offloadOptimizer) {
            return ZeroFormulas.formula(3, TrainingPrecision.FP32, stateWords);
        }
        return String.format(Locale.ROOT, "(4 + 4 + %d + 4 offloaded master)Ψ/N", 4 * stateWords);
    }

    /**
     * @param ledgers the ranks' ledgers (before the trainer is closed)
     * @return one header line and a line per rank
     */
    public String format(List<LedgerSnapshot> ledgers) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "ZeRO-3 memory per rank: Ψ %d, N %d,"
                + " formula %s = %d B; transient bound %d B%n", psi, worldSize, formula(), formulaBytes(), bound));
        for (LedgerSnapshot s : ledgers) {
            long held = ModelStateBytes.of(s).total();
            long peak = s.peakBytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE);
            sb.append(String.format(Locale.ROOT, "  rank %d: persistent param+grad+optimizer %d B (%.4f x formula,"
                    + " device %d B, host %d B, disk %d B), peak transient %d B (%.4f x bound)%n", s.rank(), held,
                    held / (double) formulaBytes(), tierModelState(s, MemoryTier.DEVICE),
                    tierModelState(s, MemoryTier.HOST), tierModelState(s, MemoryTier.DISK), peak,
                    peak / (double) bound));
        }
        return sb.toString();
    }

    /** Model-state bytes (parameters, gradients, optimizer state, fp32 masters) a rank holds now on {@code tier}. */
    private static long tierModelState(LedgerSnapshot s, MemoryTier tier) {
        return s.bytes(MemoryCategory.PARAMETERS, tier) + s.bytes(MemoryCategory.GRADIENTS, tier)
                + s.bytes(MemoryCategory.OPTIMIZER_STATE, tier) + s.bytes(MemoryCategory.MASTER_WEIGHTS, tier);
    }

    /**
     * Prints the report when {@code config} is stage 3.
     *
     * @param err       where to print
     * @param config    the configuration
     * @param net       the trained network (its layers and DL4J updater state size)
     * @param worldSize N
     * @param ledgers   the ranks' ledgers
     */
    public static void printIfStage3(java.io.PrintStream err, DeepSpeedConfig config, ComputationGraph net,
                                     int worldSize, List<LedgerSnapshot> ledgers) {
        if (config.zero().stage() == 3) {
            INDArray state = net.getUpdater(true).getStateViewArray();
            long stateLength = state == null ? 0 : state.length();
            err.print(of(net.getLayers(), stateLength, config.zero(), worldSize).format(ledgers));
        }
    }
}
