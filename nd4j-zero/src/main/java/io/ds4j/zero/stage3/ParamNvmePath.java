package io.ds4j.zero.stage3;

import io.ds4j.zero.offload.FreeSpaceProbe;
import io.ds4j.zero.offload.NvmePath;
import java.nio.file.Path;

/**
 * Checks {@code zero_optimization.offload_param.nvme_path} before training and creates a rank's private directory in
 * it, with the same checks and messages as the optimizer offload ({@link NvmePath}, {@link NvmePath.Use#PARAMETERS}).
 * Every failure is an {@link IllegalArgumentException} naming {@value #KEY}, the value and the fix.
 */
public final class ParamNvmePath {
    /** The configuration key checked here. */
    public static final String KEY = "zero_optimization.offload_param.nvme_path";

    private ParamNvmePath() {
    }

    /**
     * Validates {@code nvmePath} and creates a new, unique directory {@code ds4j-param-rank<r>-<random>} in it.
     *
     * @param nvmePath      the configured value
     * @param rank          the rank (part of the directory name)
     * @param requiredBytes bytes the rank's shard files will take
     * @param probe         free-space probe
     * @return the new directory
     */
    public static Path createRankDirectory(String nvmePath, int rank, long requiredBytes, FreeSpaceProbe probe) {
        return NvmePath.createRankDirectory(NvmePath.Use.PARAMETERS, nvmePath, rank, requiredBytes, probe);
    }

    /**
     * Deletes a rank directory created by {@link #createRankDirectory} once its stores are closed.
     *
     * @param dir the directory
     */
    public static void delete(Path dir) {
        NvmePath.delete(dir);
    }
}
