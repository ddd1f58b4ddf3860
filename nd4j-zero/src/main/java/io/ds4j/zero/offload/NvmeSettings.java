package io.ds4j.zero.offload;

import java.util.Objects;

import io.ds4j.zero.config.OffloadOptimizerConfig;

/**
 * The {@code offload_optimizer} settings an {@link NvmeStore} uses.
 *
 * @param nvmePath      {@code nvme_path}
 * @param bufferCount   {@code buffer_count}: host buffers of one sub-group vector each ({@code sub_group_size}
 *                      elements), the budget for resident optimizer memory
 * @param pipelineRead  {@code pipeline_read}: read the next sub-group while the kernel runs
 * @param pipelineWrite {@code pipeline_write}: write the previous sub-group while the kernel runs
 * @param probe         free-space probe for the check before training
 */
public record NvmeSettings(String nvmePath, int bufferCount, boolean pipelineRead, boolean pipelineWrite,
        FreeSpaceProbe probe) {
    /** Checks for a null probe (the path is checked when the store opens). */
    public NvmeSettings {
        Objects.requireNonNull(probe, "probe");
    }

    /** The settings of a configuration, with the real free-space probe. */
    public static NvmeSettings of(OffloadOptimizerConfig config) {
        return of(config, FreeSpaceProbe.fileStore());
    }

    /** The settings of a configuration with the given probe. */
    public static NvmeSettings of(OffloadOptimizerConfig config, FreeSpaceProbe probe) {
        return new NvmeSettings(config.nvmePath(), config.bufferCount(), config.pipelineRead(),
                config.pipelineWrite(), probe);
    }

    /** Buffers in flight: one for the kernel, one more to read ahead, one more to write behind. */
    int slotsWanted() {
        return 1 + (pipelineRead ? 1 : 0) + (pipelineWrite ? 1 : 0);
    }
}
