package io.ds4j.zero.offload;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Checks an {@code nvme_path} before training starts and creates a rank's private directory under it. Every failure
 * is an {@link IllegalArgumentException} naming the configuration key ({@value #KEY} for the optimizer offload,
 * {@link Use#PARAMETERS} for stage 3's parameter offload), the value and the fix.
 */
public final class NvmePath {
    /** The optimizer offload's configuration key. */
    public static final String KEY = "zero_optimization.offload_optimizer.nvme_path";

    /**
     * Which offload a directory is for: the key named in errors, its {@code device} key, the directory name prefix
     * and what the files hold (for the free-space message).
     *
     * @param key       the nvme_path key, e.g. {@value NvmePath#KEY}
     * @param section   the offload section name, e.g. {@code offload_optimizer}
     * @param dirPrefix the per-rank directory's prefix; the rank and a random suffix follow
     * @param contents  what the rank's files hold, with its verb ("parameter shards need")
     */
    public record Use(String key, String section, String dirPrefix, String contents) {
        /** {@code offload_optimizer}: fp32 master and optimizer state of the rank's shard. */
        public static final Use OPTIMIZER = new Use(KEY, "offload_optimizer", "ds4j-optimizer-rank",
                "optimizer state (fp32 master + optimizer state of its shard) needs");
        /** {@code offload_param}: the rank's parameter shards (stage 3). */
        public static final Use PARAMETERS = new Use("zero_optimization.offload_param.nvme_path", "offload_param",
                "ds4j-param-rank", "parameter shards need");
    }

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
        return createRankDirectory(Use.OPTIMIZER, nvmePath, rank, requiredBytes, probe);
    }

    /**
     * Validates {@code nvmePath} for {@code use} and creates a new, unique directory {@code <dirPrefix><r>-<random>}
     * in it.
     *
     * @param use           which offload the directory is for
     * @param nvmePath      the configured value
     * @param rank          the rank (part of the directory name)
     * @param requiredBytes bytes the rank's files will take
     * @param probe         free-space probe
     * @return the new directory
     */
    public static Path createRankDirectory(Use use, String nvmePath, int rank, long requiredBytes,
            FreeSpaceProbe probe) {
        String key = use.key();
        Path base = existingDirectory(use, nvmePath);
        if (!Files.isWritable(base)) {
            throw unwritable(key, nvmePath, "no write permission");
        }
        long free;
        try {
            free = probe.usableBytes(base);
        } catch (IOException e) {
            throw new IllegalArgumentException(key + ": cannot read the free space of '" + nvmePath + "' (" + e
                    + "); point nvme_path at a directory on a local disk", e);
        }
        if (free < requiredBytes) {
            throw new IllegalArgumentException(key + ": '" + nvmePath + "' has " + free + " bytes free but rank "
                    + rank + "'s " + use.contents() + " " + requiredBytes + " bytes; free space there or"
                    + " choose a larger disk");
        }
        try {
            return Files.createTempDirectory(base, use.dirPrefix() + rank + "-");
        } catch (IOException | SecurityException e) {
            throw unwritable(key, nvmePath, e.toString());
        }
    }

    /**
     * Deletes a rank directory made by {@link #createRankDirectory} once its stores are closed, with any file still
     * in it (the directory holds files only).
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
            throw new UncheckedIOException("deleting offload directory " + dir + " failed", e);
        }
    }

    private static Path existingDirectory(Use use, String nvmePath) {
        String key = use.key();
        if (nvmePath == null || nvmePath.isBlank()) {
            throw new IllegalArgumentException(key + ": not set, but " + use.section() + ".device is \"nvme\"; set"
                    + " nvme_path to a writable directory on a fast local disk");
        }
        Path base;
        try {
            base = Path.of(nvmePath);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(key + ": '" + nvmePath + "' is not a valid path (" + e.getReason()
                    + "); set nvme_path to a writable directory", e);
        }
        if (!Files.exists(base)) {
            throw new IllegalArgumentException(key + ": '" + nvmePath + "' does not exist; create the directory (on"
                    + " a fast local disk) or point nvme_path at an existing one");
        }
        if (!Files.isDirectory(base)) {
            throw new IllegalArgumentException(key + ": '" + nvmePath + "' is not a directory; point nvme_path at a"
                    + " directory (ds4j creates its files inside it)");
        }
        return base;
    }

    private static IllegalArgumentException unwritable(String key, String nvmePath, String why) {
        return new IllegalArgumentException(key + ": '" + nvmePath + "' is not writable by this process (" + why
                + "); fix its permissions or choose a directory this user can write");
    }
}
