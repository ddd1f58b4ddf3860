package io.ds4j.dl4j;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.config.DeepSpeedConfigException;
import io.ds4j.dl4j.monitor.CsvMonitorConfig;
import io.ds4j.precision.Bf16Config;
import io.ds4j.precision.Fp16Config;
import io.ds4j.precision.LossScale;
import io.ds4j.precision.Precision;
import io.ds4j.precision.PrecisionPolicy;
import java.util.Objects;

/**
 * The mixed-precision part of a DeepSpeed configuration as the ZeRO engine runs it: the {@code fp16} and {@code bf16}
 * sections, the resulting {@link PrecisionPolicy} and the {@code csv_monitor} section.
 *
 * <p>Where the network computes ({@link Compute}): {@link #of} gives FLOAT compute (the network's arrays are FLOAT
 * and hold values exactly representable in the 16-bit format), which {@code DeepSpeed.initialize} uses on every
 * backend. {@link #resolve} turns a requested {@link Compute} into the engine's choice for {@code ZeroTrainer}
 * (stages 0-3): with {@code fp16} on the CUDA backend (or when asked) the ranks' networks are HALF networks, the
 * policy's fp16 compute.
 *
 * @param policy  which format each copy is held in
 * @param fp16    DeepSpeed's {@code fp16} section
 * @param bf16    DeepSpeed's {@code bf16} section
 * @param monitor DeepSpeed's {@code csv_monitor} section
 */
public record EnginePrecision(PrecisionPolicy policy, Fp16Config fp16, Bf16Config bf16, CsvMonitorConfig monitor) {

    /** Checks that the sections agree with the policy. */
    public EnginePrecision {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(fp16, "fp16");
        Objects.requireNonNull(bf16, "bf16");
        Objects.requireNonNull(monitor, "monitor (CsvMonitorConfig.disabled() for none)");
        Precision training = fp16.enabled() ? Precision.FP16 : bf16.enabled() ? Precision.BF16 : Precision.FP32;
        if (policy.parameters() != training) {
            throw new IllegalArgumentException("precision policy " + policy + " does not match fp16.enabled="
                    + fp16.enabled() + ", bf16.enabled=" + bf16.enabled() + "; build it with EnginePrecision.of");
        }
    }

    /**
     * Where the ranks' networks compute with {@code fp16.enabled}: the choice a user makes with
     * {@code ZeroTrainer.Builder.compute(...)} or the system property {@value #PROPERTY} ({@code auto}, {@code half},
     * {@code float}). Without fp16 the network always computes in FLOAT.
     */
    public enum Compute {
        /** HALF on the CUDA backend, FLOAT on the CPU backend (the default). */
        AUTO,
        /**
         * HALF networks: forward and backward in ND4J {@code HALF} arithmetic on any backend (on the CPU backend
         * correct but slow: ND4J's HALF matrix multiply there is hundreds of times slower than FLOAT).
         */
        HALF,
        /** FLOAT networks on fp16-representable values, gradients rounded to fp16 after the backward pass. */
        FLOAT;

        /**
         * Parses {@code auto}, {@code half} or {@code float} (any case).
         *
         * @param value the text
         * @param where what the text came from, for the error message
         * @return the choice
         * @throws IllegalArgumentException naming {@code where} and the allowed values
         */
        public static Compute parse(String value, String where) {
            for (Compute c : values()) {
                if (c.name().equalsIgnoreCase(value == null ? "" : value.trim())) {
                    return c;
                }
            }
            throw new IllegalArgumentException(where + ": \"" + value + "\" is not a compute type; use auto, half "
                    + "or float");
        }

        /** The choice of the system property {@value #PROPERTY}, {@link #AUTO} when it is not set. */
        public static Compute fromSystemProperty() {
            String v = System.getProperty(PROPERTY);
            return v == null || v.isBlank() ? AUTO : parse(v, "system property " + PROPERTY);
        }
    }

    /** The system property that chooses {@link Compute} for {@code ZeroTrainer} (and so for {@code ds4j train}). */
    public static final String PROPERTY = "ds4j.compute";

    /** True when the ranks' networks are HALF networks (fp16 compute). */
    public boolean halfCompute() {
        return policy.compute() == Precision.FP16;
    }

    /**
     * This precision with the compute type {@code ZeroTrainer} uses for a requested {@link Compute}.
     *
     * @param requested {@link Compute#AUTO}: HALF when fp16 is enabled and the backend is CUDA;
     *                  {@link Compute#HALF}: HALF, refused without fp16; {@link Compute#FLOAT}: FLOAT
     * @param cuda      whether ND4J runs on the CUDA backend ({@link #cudaBackend()})
     * @param blocker   the part of the network that cannot compute in HALF (e.g. a SameDiff layer), or null:
     *                  {@code AUTO} then computes in FLOAT and {@code HALF} is refused naming it
     * @return the precision with that compute type
     * @throws DeepSpeedConfigException naming {@code fp16.enabled} when HALF was asked for without fp16
     * @throws IllegalArgumentException naming the blocker when HALF was asked for a network that cannot compute in it
     */
    public EnginePrecision resolve(Compute requested, boolean cuda, String blocker) {
        Objects.requireNonNull(requested, "requested");
        boolean half = switch (requested) {
            case AUTO -> fp16.enabled() && cuda && blocker == null;
            case FLOAT -> false;
            case HALF -> {
                if (!fp16.enabled()) {
                    throw new DeepSpeedConfigException("fp16.enabled", "compute type half needs fp16.enabled: true"
                            + (bf16.enabled() ? " (bf16 always computes in FLOAT: DL4J rejects BFLOAT16 networks)"
                            : "") + "; set fp16.enabled to true or ask for compute type auto or float");
                }
                if (blocker != null) {
                    throw new IllegalArgumentException("compute type half: " + blocker + " cannot compute in ND4J "
                            + "HALF (its outputs are NaN with ND4J 1.0.0-M2.1); use compute type auto (FLOAT for "
                            + "this network) or float");
                }
                yield true;
            }
        };
        Precision compute = half ? Precision.FP16 : Precision.FP32;
        if (compute == policy.compute()) {
            return this;
        }
        return new EnginePrecision(new PrecisionPolicy(policy.parameters(), compute, policy.gradients(),
                policy.communication(), policy.master()), fp16, bf16, monitor);
    }

    /**
     * The loss scale after a step ({@link LossScale#afterStep}); when it cannot decrease any more and the ranks
     * computed in HALF, rank 0 first logs that FLOAT compute tells HALF arithmetic's own overflow apart from the
     * data's or the learning rate's.
     *
     * @param scale the scale of the step
     * @param skip  whether the step overflowed and is skipped
     * @param rank  the rank asking (only rank 0 logs)
     * @return the scale of the next step
     * @throws io.ds4j.precision.LossScaleException DeepSpeed's error at the minimum scale
     */
    public LossScale nextScale(LossScale scale, boolean skip, int rank) {
        try {
            return scale.afterStep(skip);
        } catch (io.ds4j.precision.LossScaleException e) {
            if (halfCompute() && rank == 0) {
                System.getLogger("io.ds4j.dl4j.ZeroTrainer").log(System.Logger.Level.WARNING, "the ranks computed in "
                        + "HALF (fp16 compute): if the same run trains with compute type float (-D" + PROPERTY
                        + "=float, or ZeroTrainer.Builder.compute(FLOAT)), the overflow comes from HALF arithmetic "
                        + "itself (activations or sums beyond fp16's 65504), which no loss scale can fix");
            }
            throw e;
        }
    }

    /** @return whether ND4J runs on its CUDA backend (nd4j-cuda: {@code org.nd4j.linalg.jcublas.JCublasBackend}) */
    public static boolean cudaBackend() {
        return org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getName().contains(".jcublas.");
    }

    /** Plain fp32 training without a monitor. */
    public static EnginePrecision fp32() {
        return of(Fp16Config.defaults(), Bf16Config.defaults(), null, CsvMonitorConfig.disabled());
    }

    /**
     * The engine's precision for the given sections.
     *
     * @param fp16 the {@code fp16} section
     * @param bf16 the {@code bf16} section
     * @param communicationDataType {@code communication_data_type}, or null for the training precision
     * @param monitor the {@code csv_monitor} section
     * @return the precision
     * @throws DeepSpeedConfigException naming the key when the combination cannot run
     */
    public static EnginePrecision of(Fp16Config fp16, Bf16Config bf16, String communicationDataType,
                                     CsvMonitorConfig monitor) {
        try {
            return new EnginePrecision(PrecisionPolicy.choose(fp16, bf16, communicationDataType, false), fp16, bf16,
                    monitor);
        } catch (IllegalArgumentException e) {
            String key = fp16.enabled() && bf16.enabled() ? "bf16.enabled" : fp16.enabled() ? "fp16" : "bf16";
            throw new DeepSpeedConfigException(key, e.getMessage());
        }
    }

    /**
     * The precision of a parsed configuration.
     *
     * @param config the configuration
     * @param worldSize the number of ranks (for the monitor section)
     * @return the precision
     */
    public static EnginePrecision from(DeepSpeedConfig config, int worldSize) {
        return of(config.fp16(), config.bf16(), config.options().communicationDataType().orElse(null),
                CsvMonitorConfig.from(config, worldSize));
    }

    /** True for fp16 or bf16 training. */
    public boolean mixed() {
        return policy.parameters() != Precision.FP32;
    }

    /** The loss scale of the first step (scale 1 that never changes without fp16). */
    public LossScale initialScale() {
        return LossScale.of(fp16);
    }

    /** True when a step whose gradients hold Inf or NaN is skipped: fp16 always, bf16 per check_grad_overflow. */
    public boolean skipsOverflow() {
        return fp16.enabled() || (bf16.enabled() && bf16.checkGradOverflow());
    }
}
