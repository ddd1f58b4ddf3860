package io.ds4j.zero.config;

/**
 * {@code zero_optimization.offload_param}: parameters on the host or on disk (used by stage 3 only). Defaults are
 * DeepSpeed 0.19.x's {@code DeepSpeedZeroOffloadParamConfig}.
 *
 * @param device       {@code device} (default none)
 * @param nvmePath     {@code nvme_path}, or null (default null)
 * @param bufferCount  {@code buffer_count} (default 5)
 * @param bufferSize   {@code buffer_size} in elements (default 1e8)
 * @param maxInCpu     {@code max_in_cpu} in elements (default 1e9)
 * @param pinMemory    {@code pin_memory} (default true)
 */
public record OffloadParamConfig(OffloadDevice device, String nvmePath, int bufferCount, long bufferSize,
                                 long maxInCpu, boolean pinMemory) {

    /** Validates DeepSpeed's field ranges. */
    public OffloadParamConfig {
        if (device == null) {
            throw new IllegalArgumentException("offload_param.device must be one of none, cpu, nvme");
        }
        Checks.nonNegative("offload_param.buffer_count", bufferCount);
        Checks.nonNegative("offload_param.buffer_size", bufferSize);
        Checks.nonNegative("offload_param.max_in_cpu", maxInCpu);
    }

    /** DeepSpeed's defaults: no offload. */
    public static OffloadParamConfig none() {
        return onDevice(OffloadDevice.NONE);
    }

    /** DeepSpeed's defaults on the given device (what the deprecated {@code cpu_offload_param: true} means). */
    public static OffloadParamConfig onDevice(OffloadDevice device) {
        return new OffloadParamConfig(device, null, 5, 100_000_000L, 1_000_000_000L, true);
    }
}
