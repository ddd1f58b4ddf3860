package io.ds4j.zero.ledger;

import java.util.Locale;

/**
 * Model-state bytes per rank for ZeRO stages 0 to 3, as in the ZeRO paper (Rajbhandari et al., 2020, section 3 and
 * figure 1) and DeepSpeed's memory estimators. With &Psi; parameters, N ranks, and per-parameter bytes p (compute copy),
 * g (gradient) and K (optimizer states including the fp32 master):
 * <pre>
 *   stage 0:  (p + g + K) &Psi;
 *   stage 1:  (p + g) &Psi; + K &Psi;/N            optimizer states partitioned
 *   stage 2:  p &Psi; + (g + K) &Psi;/N            + gradients
 *   stage 3:  (p + g + K) &Psi;/N                  + parameters
 * </pre>
 * Mixed precision: p = g = 2, K = 4 + 4w where w is the optimizer's fp32 state words per parameter (Adam w = 2, so
 * K = 12 and stage 0 is 16&Psi;). FP32: p = g = 4, K = 4w (Adam: 8). A partitioned term uses the shard length
 * ceil(&Psi;/N), the unaligned {@link io.ds4j.zero.shard.ShardLayout}, because that is what a rank really holds.
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
