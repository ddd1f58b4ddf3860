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
 * <p>The engine computes in FLOAT on every backend for now (the CPU policy of {@link PrecisionPolicy}: the network's
 * arrays are FLOAT and hold values exactly representable in the 16-bit format), so the CUDA policy's HALF compute is
 * not used even on CUDA.
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
        if (policy.parameters() != training || policy.compute() != Precision.FP32) {
            throw new IllegalArgumentException("precision policy " + policy + " does not match fp16.enabled="
                    + fp16.enabled() + ", bf16.enabled=" + bf16.enabled() + "; build it with EnginePrecision.of");
        }
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
