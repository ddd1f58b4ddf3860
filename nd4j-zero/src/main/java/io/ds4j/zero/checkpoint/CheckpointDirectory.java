package io.ds4j.zero.checkpoint;

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
