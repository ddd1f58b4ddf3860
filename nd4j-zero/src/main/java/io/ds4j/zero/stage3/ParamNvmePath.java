package io.ds4j.zero.stage3;

import io.ds4j.zero.offload.FreeSpaceProbe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Checks {@code zero_optimization.offload_param.nvme_path} before training and creates a rank's private directory in
 * it, as the optimizer offload does for its own key. Every failure is an {@link IllegalArgumentException} naming
 * {@value #KEY}, the value and the fix.
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
        Path base = existingDirectory(nvmePath);
        if (!Files.isWritable(base)) {
            throw new IllegalArgumentException(KEY + ": '" + nvmePath + "' is not writable by this process; fix its"
                    + " permissions or choose a directory this user can write");
        }
        long free;
        try {
            free = probe.usableBytes(base);
        } catch (IOException e) {
            throw new IllegalArgumentException(KEY + ": cannot read the free space of '" + nvmePath + "' (" + e
                    + "); point nvme_path at a directory on a local disk", e);
        }
        if (free < requiredBytes) {
            throw new IllegalArgumentException(KEY + ": '" + nvmePath + "' has " + free + " bytes free but rank "
                    + rank + "'s parameter shards need " + requiredBytes + " bytes; free space there or choose a"
                    + " larger disk");
        }
        try {
            return Files.createTempDirectory(base, "ds4j-param-rank" + rank + "-");
        } catch (IOException | SecurityException e) {
            throw new IllegalArgumentException(KEY + ": '" + nvmePath + "' is not writable by this process (" + e
                    + "); fix its permissions or choose a directory this user can write", e);
        }
    }

    /**
     * Deletes a rank directory created by {@link #createRankDirectory} once its stores are closed (with any file
     * still in it).
     *
     * @param dir the directory
     */
    public static void delete(Path dir) {
        try {
            if (!Files.exists(dir)) {
                return;
            }
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
                for (Path p : s) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("deleting parameter offload directory " + dir + " failed", e);
        }
    }

    private static Path existingDirectory(String nvmePath) {
        if (nvmePath == null || nvmePath.isBlank()) {
            throw new IllegalArgumentException(KEY + ": not set, but offload_param.device is \"nvme\"; set"
                    + " nvme_path to a writable directory on a fast local disk");
        }
        Path base;
        try {
            base = Path.of(nvmePath);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(KEY + ": '" + nvmePath + "' is not a valid path (" + e.getReason()
                    + "); set nvme_path to a writable directory", e);
        }
        if (!Files.isDirectory(base)) {
            throw new IllegalArgumentException(KEY + ": '" + nvmePath + "' "
                    + (Files.exists(base) ? "is not a directory" : "does not exist") + "; create the directory (on a"
                    + " fast local disk) or point nvme_path at an existing one");
        }
        return base;
    }
}
