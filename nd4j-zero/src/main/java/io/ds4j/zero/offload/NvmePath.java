package io.ds4j.zero.offload;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Checks {@code nvme_path} before training starts and creates the store's private directory under it. Every failure
 * is an {@link IllegalArgumentException} naming {@value #KEY}, the value and the fix.
 */
public final class NvmePath {
    /** The configuration key checked here. */
    public static final String KEY = "zero_optimization.offload_optimizer.nvme_path";

    private NvmePath() {
    }

    /**
     * Validates {@code nvmePath} and creates a new, unique directory {@code ds4j-optimizer-rank<r>-<random>} in it.
     *
     * @param nvmePath      the configured value
     * @param rank          the rank (part of the directory name)
     * @param requiredBytes bytes the rank's files will take
     * @param probe         free-space probe
     * @return the new directory
     */
    public static Path createRankDirectory(String nvmePath, int rank, long requiredBytes, FreeSpaceProbe probe) {
        Path base = existingDirectory(nvmePath);
        if (!Files.isWritable(base)) {
            throw unwritable(nvmePath, "no write permission");
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
                    + rank + "'s optimizer state needs " + requiredBytes + " bytes (fp32 master + optimizer state of"
                    + " its shard); free space there or choose a larger disk");
        }
        try {
            return Files.createTempDirectory(base, "ds4j-optimizer-rank" + rank + "-");
        } catch (IOException | SecurityException e) {
            throw unwritable(nvmePath, e.toString());
        }
    }

    private static Path existingDirectory(String nvmePath) {
        if (nvmePath == null || nvmePath.isBlank()) {
            throw new IllegalArgumentException(KEY + ": not set, but offload_optimizer.device is \"nvme\"; set"
                    + " nvme_path to a writable directory on a fast local disk");
        }
        Path base;
        try {
            base = Path.of(nvmePath);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(KEY + ": '" + nvmePath + "' is not a valid path (" + e.getReason()
                    + "); set nvme_path to a writable directory", e);
        }
        if (!Files.exists(base)) {
            throw new IllegalArgumentException(KEY + ": '" + nvmePath + "' does not exist; create the directory (on"
                    + " a fast local disk) or point nvme_path at an existing one");
        }
        if (!Files.isDirectory(base)) {
            throw new IllegalArgumentException(KEY + ": '" + nvmePath + "' is not a directory; point nvme_path at a"
                    + " directory (ds4j creates its files inside it)");
        }
        return base;
    }

    private static IllegalArgumentException unwritable(String nvmePath, String why) {
        return new IllegalArgumentException(KEY + ": '" + nvmePath + "' is not writable by this process (" + why
                + "); fix its permissions or choose a directory this user can write");
    }
}
