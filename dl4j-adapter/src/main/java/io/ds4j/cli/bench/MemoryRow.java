package io.ds4j.cli.bench;

import io.ds4j.cli.bench.ProbeSetup.Offload;
import io.ds4j.zero.ledger.ModelStateBytes;
import io.ds4j.zero.ledger.TrainingPrecision;
import io.ds4j.zero.ledger.ZeroFormulas;
import java.util.Locale;

/**
 * One line of {@code bench memory}: a setup, what its child process held, and the ZeRO formula it is compared with.
 * The formula is {@link ZeroFormulas#perRank} for fp32 Adam (K = 8); its <b>in-memory part</b> leaves out what the
 * setup keeps in files (nvme {@code offload_optimizer}: the optimizer state; nvme {@code offload_param}: the
 * parameters). One process holds all N ranks, so the process is expected to hold
 * {@code baseline + N x in-memory formula}. The reference row {@code dl4j fit()} is plain DL4J training the same
 * network in one process: its formula is the gradient and Adam's state, {@code (4 + 8)Ψ}, the parameters being part of
 * the baseline already.
 *
 * <p>The paper's formula counts no copy that offload adds; {@link #offloadTerms()} are what DeepSpeed itself holds
 * for the setup beyond it ({@link ZeroFormulas#offloadMaster}, {@link ZeroFormulas#swapBuffers}). And at stages 0-2
 * rank 0 trains on the user's network itself ({@link io.ds4j.dl4j.ShardedEngine}), whose parameters the baseline
 * child holds already ({@link #sharedWithBaseline()}). {@link #expectedFull} counts both; both expectations are
 * printed, the first one as before.
 *
 * @param stage    ZeRO stage; {@link #BASELINE} or {@link #FIT} for those rows
 * @param offload  the offload of every section the stage supports
 * @param psi      Ψ
 * @param worldSize N
 * @param result   what the child reported
 */
public record MemoryRow(int stage, Offload offload, long psi, int worldSize, ProbeResult result) {
    /** Adam's fp32 state words per parameter (momentum and variance). */
    static final int ADAM_WORDS = 2;
    /** The stage of the baseline row. */
    public static final int BASELINE = -1;
    /** The stage of the plain DL4J {@code fit()} row. */
    public static final int FIT = -2;

    /** @return the row's name, e.g. {@code zero-2 nvme} or {@code baseline} */
    public String name() {
        return stage == BASELINE ? "baseline" : stage == FIT ? "dl4j fit()" : "zero-" + stage + " "
                + offload.device();
    }

    /** @return whether this is the baseline row */
    public boolean baseline() {
        return stage == BASELINE;
    }

    /** @return how many times the process holds {@link #formulaInMemory()}: N for ds4j, 1 for fit() */
    public int copies() {
        return stage == FIT ? 1 : worldSize;
    }

    /** @return the formula's model-state bytes per rank, all tiers (0 for the baseline) */
    public ModelStateBytes formula() {
        if (baseline()) {
            return new ModelStateBytes(0, 0, 0, 0);
        }
        if (stage == FIT) {
            ModelStateBytes one = ZeroFormulas.perRank(0, TrainingPrecision.FP32, ADAM_WORDS, psi, 1);
            return new ModelStateBytes(0, one.gradients(), one.optimizerState(), one.masterWeights());
        }
        return ZeroFormulas.perRank(stage, TrainingPrecision.FP32, ADAM_WORDS, psi, worldSize);
    }

    /** @return the formula's bytes per rank that the setup keeps in memory rather than in nvme files */
    public long formulaInMemory() {
        ModelStateBytes f = formula();
        long onDisk = 0;
        if (offload == Offload.NVME && stage >= 1) {
            onDisk += f.optimizerState() + f.masterWeights();
        }
        if (offload == Offload.NVME && stage == 3) {
            onDisk += f.parameters();
        }
        return f.total() - onDisk;
    }

    /**
     * What DeepSpeed holds per rank for this setup beyond {@link #formulaInMemory()}: with cpu
     * {@code offload_optimizer} the fp32 master it clones onto the host ({@link ZeroFormulas#offloadMaster}); with
     * nvme, in memory, the swappers' pinned buffers ({@link ZeroFormulas#swapBuffers}): the optimizer's
     * {@code buffer_count} of its largest sub-group, and at stage 3 {@code offload_param}'s {@code buffer_count} of
     * {@code buffer_size} fp32 elements (the knobs of {@link ProbeSetup}).
     *
     * @return bytes per rank, 0 without offload
     */
    public long offloadTerms() {
        if (stage < 1 || offload == Offload.NONE) {
            return 0;
        }
        if (offload == Offload.CPU) {
            return ZeroFormulas.offloadMaster(stage, TrainingPrecision.FP32, psi, worldSize);
        }
        long terms = ZeroFormulas.swapBuffers(ProbeSetup.OPTIMIZER_BUFFER_COUNT,
                ZeroFormulas.largestSubGroup(psi, worldSize, ProbeSetup.SUB_GROUP_SIZE), Float.BYTES);
        if (stage == 3) {
            terms += ZeroFormulas.swapBuffers(ProbeSetup.PARAM_BUFFER_COUNT, ProbeSetup.PARAM_BUFFER_SIZE,
                    TrainingPrecision.FP32.parameterBytes());
        }
        return terms;
    }

    /** @return {@link #formulaInMemory()} plus {@link #offloadTerms()}: what DeepSpeed keeps in memory per rank */
    public long formulaWithOffload() {
        return formulaInMemory() + offloadTerms();
    }

    /**
     * The bytes of the baseline that the setup's ranks train on rather than hold again: at stages 0-2 in fp32 (the
     * bench's precision; with HALF compute rank 0 has a replica of its own) rank 0's replica is the user's network
     * itself, whose fp32 parameters ({@code 4Ψ}, the formula's {@code pΨ} of one rank) the baseline child built;
     * {@code expected} counts them twice. At stage 3 without offload, and with cpu offload on the CPU backend, the
     * same {@code 4Ψ}: the ranks are threads of the child and keep their parameter shards in place in the user's
     * network (the N shards of {@code 4Ψ/N} are its flat vector; {@code Stage3Trainer}'s in-place mode). 0 at stage 3
     * with nvme (the shards are in files, beside the user's network) and for fit() (its formula leaves the parameters
     * out already).
     *
     * @return bytes per process
     */
    public long sharedWithBaseline() {
        boolean inPlace = offload == Offload.NONE
                || offload == Offload.CPU && !io.ds4j.dl4j.EnginePrecision.cudaBackend();
        boolean shards = stage >= 0 && stage <= 2 || stage == 3 && inPlace;
        return shards ? TrainingPrecision.FP32.parameterBytes() * psi : 0;
    }

    /**
     * @param baselinePeak the baseline child's VmHWM
     * @return {@code baseline + copies x (in-memory formula + offload terms) - shared with the baseline}
     */
    public long expectedFull(long baselinePeak) {
        return baselinePeak + copies() * formulaWithOffload() - sharedWithBaseline();
    }

    /**
     * The stage-3 fixed part per rank ({@link Stage3FixedPart}, worked from the network's configuration and the
     * probes' knobs, as {@code bench memory --processes} counts it): the counterpart of DeepSpeed's
     * {@code largest_layer_memory}, which {@code estimate_zero3_model_states_mem_needs} adds to every ZeRO-3 rank's
     * model states with or without offload, and which the paper's formula leaves out.
     *
     * @return bytes per rank; 0 below stage 3 and for the baseline and fit() rows
     */
    public long stage3Fixed() {
        return stage == 3 ? ProcessMemoryBench.fixed(psi, worldSize) : 0;
    }

    /**
     * @param baselinePeak the baseline child's VmHWM
     * @return {@link #expectedFull} plus N x {@link #stage3Fixed()}: DeepSpeed's own stage-3 estimate above the
     *         baseline, with what its offload holds
     */
    public long expectedStage3(long baselinePeak) {
        return expectedFull(baselinePeak) + copies() * stage3Fixed();
    }

    /**
     * @param baselinePeak the baseline child's VmHWM
     * @return {@code baseline + copies x in-memory formula}
     */
    public long expectedPeak(long baselinePeak) {
        return baselinePeak + copies() * formulaInMemory();
    }

    /** @return VmHWM of the child (its real peak resident memory) */
    public long realPeak() {
        return result.bytes("vmhwm");
    }

    /** @return the largest per-rank ledger peak (sum over tiers of each tier's peak); -1 without a ledger */
    public long ledgerPeak() {
        return result.bytes("ledger.peak");
    }

    /**
     * @param a numerator
     * @param b denominator
     * @return a / b with 3 decimals, or "" when either is unknown
     */
    static String ratio(long a, long b) {
        return a < 0 || b <= 0 ? "" : String.format(Locale.ROOT, "%.3f", a / (double) b);
    }
}
