package io.ds4j.zero.config;

/**
 * {@code zero_optimization.offload_optimizer}: optimizer state (and the optimizer step) on the host or on disk.
 * Defaults are DeepSpeed 0.19.x's {@code DeepSpeedZeroOffloadOptimizerConfig} (note {@code pin_memory} defaults to
 * true in the code, unlike older documentation).
 *
 * @param device            {@code device} (default none)
 * @param nvmePath          {@code nvme_path}, or null (default null)
 * @param bufferCount       {@code buffer_count} (default 4)
 * @param pinMemory         {@code pin_memory} (default true)
 * @param pipelineRead      {@code pipeline_read} (default false)
 * @param pipelineWrite     {@code pipeline_write} (default false)
 * @param fastInit          {@code fast_init} (default false)
 * @param ratio             {@code ratio}: fraction of the optimizer state offloaded, [0, 1] (default 1)
 * @param superOffload      {@code super_offload} (default false)
 * @param cpuadamCoresPerc  {@code cpuadam_cores_perc}, [0, 1] (default 0.8)
 */
public record OffloadOptimizerConfig(OffloadDevice device, String nvmePath, int bufferCount, boolean pinMemory,
                                     boolean pipelineRead, boolean pipelineWrite, boolean fastInit, double ratio,
                                     boolean superOffload, double cpuadamCoresPerc) {

    /** Validates DeepSpeed's field ranges. */
    public OffloadOptimizerConfig {
        if (device == null) {
            throw new IllegalArgumentException("offload_optimizer.device must be one of none, cpu, nvme");
        }
        Checks.nonNegative("offload_optimizer.buffer_count", bufferCount);
        Checks.fraction("offload_optimizer.ratio", ratio);
        Checks.fraction("offload_optimizer.cpuadam_cores_perc", cpuadamCoresPerc);
    }

    /** DeepSpeed's defaults: no offload. */
    public static OffloadOptimizerConfig none() {
        return onDevice(OffloadDevice.NONE);
    }

    /** DeepSpeed's defaults on the given device (what the deprecated {@code cpu_offload: true} means). */
    public static OffloadOptimizerConfig onDevice(OffloadDevice device) {
        return new OffloadOptimizerConfig(device, null, 4, true, false, false, false, 1.0, false, 0.8);
    }

    /** DeepSpeed's derived {@code pipeline} flag: {@code pipeline_read || pipeline_write}. */
    public boolean pipeline() {
        return pipelineRead || pipelineWrite;
    }
}
