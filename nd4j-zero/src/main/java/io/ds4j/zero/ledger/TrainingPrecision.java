package io.ds4j.zero.ledger;

/**
 * Bytes per parameter of the model states that do not depend on the optimizer, per precision regime.
 * {@link #MIXED_16}: fp16 or bf16 compute copy and gradients, a separate fp32 master. {@link #FP32}: fp32 compute copy
 * and gradients; the fp32 parameters are the master (no separate copy).
 */
public enum TrainingPrecision {
    /** fp16/bf16 parameters (2 B) and gradients (2 B), fp32 master weights (4 B). */
    MIXED_16(2, 2, 4),
    /** fp32 parameters (4 B) and gradients (4 B), no separate master. */
    FP32(4, 4, 0);

    private final int parameterBytes;
    private final int gradientBytes;
    private final int masterBytes;

    TrainingPrecision(int parameterBytes, int gradientBytes, int masterBytes) {
        this.parameterBytes = parameterBytes;
        this.gradientBytes = gradientBytes;
        this.masterBytes = masterBytes;
    }

    /** Bytes per parameter of the compute copy. */
    public int parameterBytes() {
        return parameterBytes;
    }

    /** Bytes per parameter of a gradient. */
    public int gradientBytes() {
        return gradientBytes;
    }

    /** Bytes per parameter of the fp32 master copy (0 when the parameters are the master). */
    public int masterBytes() {
        return masterBytes;
    }
}
