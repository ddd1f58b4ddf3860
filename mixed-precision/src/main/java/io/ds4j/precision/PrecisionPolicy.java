package io.ds4j.precision;

/**
 * Which format each copy of the model's numbers is held and computed in, chosen from DeepSpeed's {@code fp16},
 * {@code bf16} and {@code communication_data_type} keys and the ND4J backend.
 *
 * <table>
 *   <caption>Policies (parameters / compute / gradients / communication default / master)</caption>
 *   <tr><th>config</th><th>CPU backend</th><th>CUDA backend</th></tr>
 *   <tr><td>neither</td><td>fp32 / fp32 / fp32 / fp32 / fp32</td><td>same</td></tr>
 *   <tr><td>fp16</td><td>fp16 / <b>fp32</b> / fp16 / fp16 / fp32</td><td>fp16 / fp16 / fp16 / fp16 / fp32</td></tr>
 *   <tr><td>bf16</td><td>bf16 / fp32 / bf16 / bf16 / fp32</td><td>same (DL4J rejects BFLOAT16 networks)</td></tr>
 * </table>
 * When {@link #parameters()} differs from {@link #compute()} the network holds FLOAT arrays whose values are kept
 * exactly representable in the narrower format by rounding them in Java ({@link #roundsInJava()}).
 *
 * @param parameters    the format the compute copy's values are representable in
 * @param compute       the format the network stores its arrays in and computes with: FP32, or FP16 on CUDA
 * @param gradients     the format gradients are rounded to before reduction and overflow checks (the parameters')
 * @param communication the format of gradient reduction buffers ({@code communication_data_type})
 * @param master        the optimizer's master weights: always FP32
 */
public record PrecisionPolicy(Precision parameters, Precision compute, Precision gradients, Precision communication,
                              Precision master) {

    /** Checks the combinations ds4j can run. */
    public PrecisionPolicy {
        if (parameters == null || compute == null || gradients == null || communication == null || master == null) {
            throw new IllegalArgumentException("every precision of a policy must be set");
        }
        if (master != Precision.FP32) {
            throw new IllegalArgumentException("master weights must be fp32 in ds4j, got " + master.key());
        }
        if (compute == Precision.BF16) {
            throw new IllegalArgumentException("compute precision bf16 is not possible: DL4J networks reject "
                    + "BFLOAT16; compute in fp32 with bf16-representable values");
        }
        if (compute == Precision.FP16 && parameters != Precision.FP16) {
            throw new IllegalArgumentException("compute precision fp16 needs fp16 parameters, got "
                    + parameters.key());
        }
    }

    /** Plain fp32 training. */
    public static PrecisionPolicy fp32() {
        return new PrecisionPolicy(Precision.FP32, Precision.FP32, Precision.FP32, Precision.FP32, Precision.FP32);
    }

    /**
     * The policy for a configuration and backend.
     *
     * @param fp16                  the {@code fp16} section
     * @param bf16                  the {@code bf16} section
     * @param communicationDataType {@code communication_data_type}: "fp32", "fp16", "bf16" (any case) or null for
     *                              DeepSpeed's default (the training precision)
     * @param cuda                  whether ND4J runs on the CUDA backend
     * @throws IllegalArgumentException for both fp16 and bf16 enabled, for fp16/bf16 master weights (not supported:
     *                                  ds4j keeps fp32 masters) and for an unknown communication type
     */
    public static PrecisionPolicy choose(Fp16Config fp16, Bf16Config bf16, String communicationDataType,
                                         boolean cuda) {
        rejectUnsupported(fp16, bf16);
        Precision training = fp16.enabled() ? Precision.FP16 : bf16.enabled() ? Precision.BF16 : Precision.FP32;
        Precision compute = training == Precision.FP16 && cuda ? Precision.FP16 : Precision.FP32;
        Precision communication = communicationDataType == null ? training
                : Precision.parse(communicationDataType, "communication_data_type");
        return new PrecisionPolicy(training, compute, training, communication, Precision.FP32);
    }

    private static void rejectUnsupported(Fp16Config fp16, Bf16Config bf16) {
        if (fp16.enabled() && bf16.enabled()) {
            throw new IllegalArgumentException("fp16.enabled and bf16.enabled are both true; enable at most one "
                    + "of them");
        }
        if (fp16.enabled() && fp16.fp16MasterWeightsAndGrads()) {
            throw new IllegalArgumentException("fp16.fp16_master_weights_and_grads=true is not supported: ds4j "
                    + "always keeps fp32 master weights; set it to false");
        }
        if (bf16.enabled() && bf16.bf16MasterWeightsAndGrads()) {
            throw new IllegalArgumentException("bf16.bf16_master_weights_and_grads=true is not supported: ds4j "
                    + "always keeps fp32 master weights; set it to false (and bf16_optimizer_states with it)");
        }
    }

    /** True for fp16 training: the loss is scaled ({@link LossScale}) and gradients can overflow. */
    public boolean lossScaling() {
        return parameters == Precision.FP16;
    }

    /** True when values must be rounded in Java to stay representable (the network holds a wider format). */
    public boolean roundsInJava() {
        return parameters != compute;
    }

    /** Bytes per element of the compute copy of the parameters, as the network really holds it. */
    public int paramBytes() {
        return compute.bytes();
    }

    /** Bytes per element of the gradients the network produces (its gradient view has the compute type). */
    public int gradBytes() {
        return compute.bytes();
    }

    /** Bytes per element of a gradient reduction buffer. */
    public int communicationBytes() {
        return communication.bytes();
    }

    /** Bytes per element of the master weights (fp32). */
    public int masterBytes() {
        return master.bytes();
    }

    /**
     * Bytes per element of optimizer state, kept in fp32 next to the master weights.
     *
     * @param statesPerElement state values per parameter (Adam: 2, SGD with momentum: 1, plain SGD: 0)
     */
    public long optimizerBytes(int statesPerElement) {
        if (statesPerElement < 0) {
            throw new IllegalArgumentException("statesPerElement must be >= 0, got " + statesPerElement);
        }
        return (long) statesPerElement * master.bytes();
    }
}
