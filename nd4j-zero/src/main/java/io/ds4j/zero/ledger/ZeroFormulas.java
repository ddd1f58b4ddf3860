package io.ds4j.zero.ledger;

import java.util.Locale;

/**
 * Model-state bytes per rank for ZeRO stages 0 to 3, as in the ZeRO paper (Rajbhandari et al., 2020, section 3 and
 * figure 1) and DeepSpeed's memory estimators. With &Psi; parameters, N ranks, and per-parameter bytes p (compute
 * copy), g (gradient) and K (optimizer states including the fp32 master):
 * <pre>
 *   stage 0:  (p + g + K) &Psi;
 *   stage 1:  (p + g) &Psi; + K &Psi;/N            optimizer states partitioned
 *   stage 2:  p &Psi; + (g + K) &Psi;/N            + gradients
 *   stage 3:  (p + g + K) &Psi;/N                  + parameters
 * </pre>
 * Mixed precision: p = g = 2, K = 4 + 4w where w is the optimizer's fp32 state words per parameter (Adam w = 2, so
 * K = 12 and stage 0 is 16&Psi;). FP32: p = g = 4, K = 4w (Adam: 8). A partitioned term uses the shard length
 * ceil(&Psi;/N), the unaligned {@link io.ds4j.zero.shard.ShardLayout}, because that is what a rank really holds.
 *
 * <p>The paper's formula counts no copy that offload adds. Two terms do, each what DeepSpeed itself holds, kept apart
 * from {@link #perRank} so that the paper's numbers stay as they are: {@link #offloadMaster} (the fp32 master that
 * ZeRO-Offload clones onto the host in fp32 training) and {@link #swapBuffers} (the pinned buffers of an nvme swapper).
 */
public final class ZeroFormulas {
    private ZeroFormulas() {
    }

    /**
     * fp32 state words per parameter of DeepSpeed's optimizers: Adam, AdamW and Lamb 2 (momentum and variance);
     * Adagrad 1 (accumulated squares); Lion 1 (momentum); SGD 1 with momentum, 0 without. Case-insensitive; accepts
     * DeepSpeed's {@code optimizer.type} names.
     */
    public static int stateWords(String optimizerType, boolean sgdMomentum) {
        return switch (optimizerType.toLowerCase(Locale.ROOT)) {
            case "adam", "adamw", "lamb", "onebitadam", "zerooneadam", "onebitlamb", "fusedadam", "cpuadam" -> 2;
            case "adagrad", "lion" -> 1;
            case "sgd" -> sgdMomentum ? 1 : 0;
            default -> throw new IllegalArgumentException("optimizer.type '" + optimizerType
                    + "' has no known state size; use one of Adam, AdamW, Lamb, Lion, Adagrad, SGD");
        };
    }

    /** K: optimizer-state bytes per parameter including the fp32 master (12 for mixed-precision Adam). */
    public static int k(TrainingPrecision precision, int stateWords) {
        checkWords(stateWords);
        return precision.masterBytes() + 4 * stateWords;
    }

    /**
     * Model-state bytes one rank holds.
     *
     * @param stage      ZeRO stage 0..3
     * @param precision  the precision regime
     * @param stateWords fp32 optimizer state words per parameter ({@link #stateWords})
     * @param psi        number of parameters &Psi;
     * @param worldSize  N, data-parallel ranks
     */
    public static ModelStateBytes perRank(int stage, TrainingPrecision precision, int stateWords, long psi,
            int worldSize) {
        if (stage < 0 || stage > 3) {
            throw new IllegalArgumentException("zero_optimization.stage must be 0, 1, 2 or 3, got " + stage);
        }
        if (psi < 0 || worldSize < 1) {
            throw new IllegalArgumentException("need parameters >= 0 and world size >= 1, got " + psi + " and "
                    + worldSize);
        }
        checkWords(stateWords);
        long shard = (psi + worldSize - 1) / worldSize;
        long states = stage >= 1 ? shard : psi;
        long grads = stage >= 2 ? shard : psi;
        long params = stage >= 3 ? shard : psi;
        return new ModelStateBytes(params * precision.parameterBytes(), grads * precision.gradientBytes(),
                states * 4L * stateWords, states * precision.masterBytes());
    }

    /**
     * The fp32 master of the shard that {@code offload_optimizer} (cpu or nvme) adds per rank in fp32 training, where
     * {@link #perRank} counts none (the fp32 parameters are the master, K = 4w). DeepSpeed's ZeRO-Offload keeps one:
     * its stage 1/2 optimizer clones its partition of the parameters into a separate fp32 tensor on the host
     * ({@code single_partition_of_fp32_groups} in {@code deepspeed/runtime/zero/stage_1_and_2.py}, built by
     * {@code detach().clone().to(device='cpu', dtype=master dtype)} also when the parameters are fp32), and stage 3
     * does the same for its sub-groups ({@code fp32_partitioned_groups_flat}); the device keeps its own parameters.
     * Its estimators count it: with {@code cpu_offload} {@code estimate_zero2_model_states_mem_needs} puts
     * {@code 16Ψ} bytes per node on the host (fp32 master 4, Adam's two states 8, an fp32 gradient partition 4) and
     * {@code estimate_zero3_model_states_mem_needs} {@code 16Ψ}, or {@code 18Ψ} with the fp16 parameters offloaded
     * too. In mixed precision K already holds this master (4 of its 12 bytes), so the term is 0; it is 0 at stage 0
     * too (offload needs stage 1-3). With nvme the copy lives in the swap files, not in memory: the caller counts it
     * on disk.
     *
     * @return {@code 4 ceil(Ψ/N)} bytes for fp32 at stages 1-3, else 0
     */
    public static long offloadMaster(int stage, TrainingPrecision precision, long psi, int worldSize) {
        perRank(stage, precision, 0, psi, worldSize); // checks the arguments
        if (stage == 0 || precision.masterBytes() > 0) {
            return 0;
        }
        return 4L * ((psi + worldSize - 1) / worldSize);
    }

    /**
     * The host buffers an nvme swapper holds per rank: DeepSpeed pins {@code buffer_count} buffers of one swap unit
     * each, once, for the whole run ({@code SwapBufferManager} in {@code deepspeed/runtime/swap_tensor/utils.py}).
     * The optimizer's swapper sizes them to its largest sub-group ({@code min(sub_group_size, shard)} fp32 elements,
     * {@code OptimizerSwapper.largest_numel}), the parameters' swapper to {@code offload_param.buffer_size}
     * elements of the parameters' type. (DeepSpeed swaps at stage 3 only; its stages 1-2 keep an nvme
     * {@code offload_optimizer} in host memory as with cpu. ds4j swaps at stages 1-2 too, with stage 3's buffers.)
     *
     * @param bufferCount  {@code buffer_count}
     * @param elements     elements of one buffer
     * @param elementBytes bytes of one element
     * @return {@code bufferCount x elements x elementBytes}
     */
    public static long swapBuffers(int bufferCount, long elements, int elementBytes) {
        if (bufferCount < 0 || elements < 0 || elementBytes < 1) {
            throw new IllegalArgumentException("swap buffers need buffer_count >= 0, elements >= 0 and element bytes"
                    + " >= 1, got " + bufferCount + ", " + elements + ", " + elementBytes);
        }
        return Math.multiplyExact(Math.multiplyExact((long) bufferCount, elements), (long) elementBytes);
    }

    /**
     * The elements of the optimizer's largest sub-group on one rank: {@code min(sub_group_size, ceil(Ψ/N))}.
     *
     * @param subGroupSize {@code zero_optimization.sub_group_size}
     */
    public static long largestSubGroup(long psi, int worldSize, long subGroupSize) {
        if (subGroupSize < 1) {
            throw new IllegalArgumentException("zero_optimization.sub_group_size must be >= 1, got " + subGroupSize);
        }
        return Math.min(subGroupSize, (psi + worldSize - 1) / worldSize);
    }

    /** The formula of {@link #perRank} for one stage, with K filled in, e.g. {@code 2Ψ + (2 + 12)Ψ/N}. */
    public static String formula(int stage, TrainingPrecision precision, int stateWords) {
        int p = precision.parameterBytes();
        int g = precision.gradientBytes();
        int k = k(precision, stateWords);
        return switch (stage) {
            case 0 -> String.format(Locale.ROOT, "(%d + %d + %d)Ψ", p, g, k);
            case 1 -> String.format(Locale.ROOT, "(%d + %d)Ψ + %dΨ/N", p, g, k);
            case 2 -> String.format(Locale.ROOT, "%dΨ + (%d + %d)Ψ/N", p, g, k);
            case 3 -> String.format(Locale.ROOT, "(%d + %d + %d)Ψ/N", p, g, k);
            default -> throw new IllegalArgumentException("zero_optimization.stage must be 0, 1, 2 or 3, got "
                    + stage);
        };
    }

    private static void checkWords(int stateWords) {
        if (stateWords < 0) {
            throw new IllegalArgumentException("optimizer state words must be >= 0, got " + stateWords);
        }
    }
}
