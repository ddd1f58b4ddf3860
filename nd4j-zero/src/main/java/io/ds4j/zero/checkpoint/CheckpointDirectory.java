package io.ds4j.zero.checkpoint;

import io.ds4j.zero.comm.Collectives;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Optional;

/**
 * A checkpoint directory {@code D}: tag folders and the {@code latest} file, saved atomically (see the package
 * documentation for the protocol and its guarantee).
 *
 * <p>Call order: any number of {@link #save} and {@link #folder}/{@link #read} calls; not thread-safe for two saves
 * into the same directory at once.
 */
public final class CheckpointDirectory {

    /** The file naming the newest tag, as DeepSpeed's. */
    public static final String LATEST = "latest";

    private final Path dir;

    /** @param dir the checkpoint directory (created by the first save) */
    public CheckpointDirectory(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** @return the directory */
    public Path path() {
        return dir;
    }

    /**
     * Checks a tag: a plain folder name.
     *
     * @param tag the tag
     * @return the tag
     * @throws IllegalArgumentException naming the tag when it is empty, has a path separator, starts with '.', or is
     *                                  {@code latest}
     */
    public static String checkTag(String tag) {
        if (tag == null || tag.isBlank() || tag.contains("/") || tag.contains("\\") || tag.startsWith(".")
                || tag.equals(LATEST) || tag.endsWith(".replaced") || tag.contains("\n")) {
            throw new IllegalArgumentException("tag '" + tag + "' is not allowed; use a plain folder name such as"
                    + " global_step100 (no '/', no leading '.', not 'latest')");
        }
        return tag;
    }

    /**
     * Saves {@code files} as tag {@code tag} and points {@code latest} at it, atomically.
     *
     * @param tag   the tag
     * @param files file name to contents, written in iteration order
     * @return the bytes written
     * @throws UncheckedIOException when a file cannot be written (disk full, permissions): the temporary folder is
     *                              removed, and the message says which checkpoint {@code latest} still names
     */
    public long save(String tag, Map<String, ShardFile> files) {
        checkTag(tag);
        Path tmp = dir.resolve("." + tag + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        long bytes = 0;
        try {
            Files.createDirectories(dir);
            Files.createDirectory(tmp);
            for (Map.Entry<String, ShardFile> f : files.entrySet()) {
                f.getValue().write(tmp.resolve(f.getKey()));
                bytes += f.getValue().byteSize();
                PausePoints.reach("file-written");
            }
            forceFolder(tmp);
            PausePoints.reach("files-written");
            publish(tag, tmp);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("saving checkpoint tag '" + tag + "' into " + dir + " failed ("
                    + e + "); nothing was changed: " + previous() + "; free space or choose another directory", e);
        }
        return bytes;
    }

    /**
     * A token every process of {@code group} shares: rank 0's random draw, all-reduced (52 bits, exact in a sum of
     * doubles with zeros). It names one save's temporary folder and its {@code save_id}.
     *
     * @param group the processes (one rank each)
     * @return the token, the same on every process
     */
    public static String sharedToken(Collectives group) {
        long mine = group.rank() == 0 ? new java.security.SecureRandom().nextLong() & ((1L << 52) - 1) : 0;
        return Long.toHexString((long) group.allReduceSum((double) mine));
    }

    /**
     * A save by the processes of {@code group} (one rank each, on a file system they share, as DeepSpeed assumes
     * without {@code use_node_local_storage}): every process calls it with the files it holds (its rank file; rank 0
     * also the model-states file) and the same {@code token} ({@link #sharedToken}). Rank 0 creates the temporary
     * folder; after a barrier each process writes and forces its files; once every process has written, rank 0
     * forces the folder, renames it to its tag and replaces {@code latest} as {@link #save(String, Map)} does. Each
     * phase ends with every process learning whether any failed, so all return or all throw, and a failed save
     * leaves the previous checkpoint as it was.
     *
     * @param tag   the tag
     * @param files this process's files
     * @param group the processes
     * @param token the shared token
     * @return the bytes this process wrote
     * @throws UncheckedIOException on every process when any process failed; the temporary folder is removed
     */
    public long save(String tag, Map<String, ShardFile> files, Collectives group, String token) {
        checkTag(tag);
        Path tmp = dir.resolve("." + tag + ".tmp-" + token);
        boolean lead = group.rank() == 0;
        IOException failed = null;
        if (lead) {
            try {
                Files.createDirectories(dir);
                Files.createDirectory(tmp);
            } catch (IOException e) {
                failed = e;
            }
        }
        agree(group, failed, tag, tmp);
        long bytes = 0;
        try {
            for (Map.Entry<String, ShardFile> f : files.entrySet()) {
                f.getValue().write(tmp.resolve(f.getKey()));
                bytes += f.getValue().byteSize();
                PausePoints.reach("file-written");
            }
        } catch (IOException e) {
            failed = e;
        }
        agree(group, failed, tag, tmp);
        if (lead) {
            try {
                forceFolder(tmp);
                PausePoints.reach("files-written");
                publish(tag, tmp);
            } catch (IOException e) {
                failed = e;
            }
        }
        agree(group, failed, tag, tmp);
        return bytes;
    }

    /** Ends a phase of a group save: every process learns whether one failed; then all throw, rank 0 cleaning up. */
    private void agree(Collectives group, IOException mine, String tag, Path tmp) {
        if (group.allReduceMax(mine == null ? 0 : 1) == 0) {
            return;
        }
        if (group.rank() == 0) {
            deleteQuietly(tmp);
        }
        String what = mine != null ? "rank " + group.rank() + ": " + mine : "another rank failed (its own error names"
                + " the cause)";
        throw new UncheckedIOException("saving checkpoint tag '" + tag + "' into " + dir + " failed (" + what
                + "); nothing was changed: " + previous() + "; free space or choose another directory",
                mine != null ? mine : new IOException("another rank failed"));
    }

    private String previous() {
        try {
            return "'latest' still names tag '" + latestTag() + "', which is intact";
        } catch (RuntimeException e) {
            return "there was no earlier checkpoint in this directory";
        }
    }

    /** Renames the written folder to its tag (moving an old one of the same tag aside), then replaces latest. */
    private void publish(String tag, Path tmp) throws IOException {
        Path target = dir.resolve(tag);
        Path replaced = dir.resolve(tag + ".replaced");
        if (Files.exists(target)) {
            deleteQuietly(replaced);
            move(target, replaced);
        }
        move(tmp, target);
        forceFolder(dir);
        PausePoints.reach("folder-renamed");
        Path latestTmp = dir.resolve("." + LATEST + ".tmp-" + ProcessHandle.current().pid());
        try (FileChannel ch = FileChannel.open(latestTmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(tag.getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        PausePoints.reach("latest-written");
        move(latestTmp, dir.resolve(LATEST));
        forceFolder(dir);
        PausePoints.reach("latest-renamed");
        deleteQuietly(replaced);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + to.getParent() + " cannot rename atomically; save"
                    + " checkpoints on a local file system", e);
        }
    }

    /** Forces a folder's entries to disk (on file systems that allow opening a folder; elsewhere a no-op). */
    private static void forceFolder(Path folder) throws IOException {
        try (FileChannel ch = FileChannel.open(folder, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            if (Files.isDirectory(folder) && System.getProperty("os.name", "").startsWith("Windows")) {
                return; // Windows cannot open a folder as a channel; NTFS journals the rename
            }
            throw e;
        }
    }

    /**
     * @return the tag {@code latest} names
     * @throws CheckpointException when there is no {@code latest} or it is empty
     */
    public String latestTag() {
        Path latest = dir.resolve(LATEST);
        if (!Files.isRegularFile(latest)) {
            throw new CheckpointException(latest, "missing: no checkpoint was completed in " + dir
                    + "; pass a tag explicitly or check the directory");
        }
        try {
            String tag = Files.readString(latest, StandardCharsets.UTF_8).trim();
            if (tag.isEmpty()) {
                throw new CheckpointException(latest, "empty; pass a tag explicitly");
            }
            return tag;
        } catch (IOException e) {
            throw new CheckpointException(latest, "cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * @param tag a tag, or empty for the one {@code latest} names
     * @return the tag's folder (its {@code .replaced} copy when a save of the same tag was cut between its renames)
     * @throws CheckpointException when there is no such folder
     */
    public Path folder(Optional<String> tag) {
        String t = tag.isPresent() ? checkTag(tag.get()) : latestTag();
        Path f = dir.resolve(t);
        if (Files.isDirectory(f)) {
            return f;
        }
        Path replaced = dir.resolve(t + ".replaced");
        if (Files.isDirectory(replaced)) {
            return replaced;
        }
        throw new CheckpointException(f, "missing: there is no checkpoint tag '" + t + "' in " + dir
                + "; list the folder for the tags saved");
    }

    /**
     * @param folder a tag folder from {@link #folder}
     * @param name   a file name in it
     * @return the checked file
     * @throws CheckpointException naming the file when it is missing or damaged
     */
    public static ShardFile read(Path folder, String name) {
        return ShardFile.read(folder.resolve(name));
    }

    private static void deleteQuietly(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try {
            Files.walkFileTree(p, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Files.deleteIfExists(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // best effort: a leftover hidden temporary folder is never read
        }
    }
}
