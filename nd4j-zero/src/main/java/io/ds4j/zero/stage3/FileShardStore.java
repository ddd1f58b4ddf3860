package io.ds4j.zero.stage3;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A shard in a file ({@code offload_param.device: nvme}), entered in the ledger as parameters on
 * {@link MemoryTier#DISK}. The file holds the shard's {@link #length()} floats in native byte order and nothing else.
 *
 * <p>Every {@link #write} goes to {@code <name>.tmp} and is renamed atomically over {@code <name>} once complete, so
 * the file under its own name is always a whole shard. Nothing is fsynced: these are scratch files, deleted by
 * {@link #close()}. Confined to the rank's thread (one {@code float[]}-sized byte buffer per store, reused).
 */
public final class FileShardStore implements ShardStore {
    private final Path file;
    private final int length;
    private final ByteBuffer bytes;
    private final MemoryLedger.Allocation entry;

    /**
     * Creates the store and writes a zero shard to {@code dir/<fileName>}.
     *
     * @param dir      the rank's directory (see {@link ParamNvmePath#createRankDirectory})
     * @param fileName the file's name in it, unique per parameter
     * @param length   elements
     * @param ledger   the rank's ledger
     */
    public FileShardStore(Path dir, String fileName, int length, MemoryLedger ledger) {
        this.file = dir.resolve(fileName);
        this.length = length;
        this.bytes = ByteBuffer.allocate(4 * length).order(ByteOrder.nativeOrder());
        this.entry = ledger.allocate(MemoryCategory.PARAMETERS, MemoryTier.DISK, 4L * length,
                "stage3 shard on nvme " + fileName);
        write(new float[length]);
    }

    /** @return the file holding the shard */
    public Path file() {
        return file;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void read(float[] dst) {
        bytes.clear();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() != bytes.capacity()) {
                throw new IllegalStateException(file + " has " + ch.size() + " bytes, a shard of " + length
                        + " floats needs " + bytes.capacity() + "; the file was changed outside ds4j");
            }
            while (bytes.hasRemaining()) {
                if (ch.read(bytes) < 0) {
                    throw new IllegalStateException(file + " ended early");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading parameter shard file " + file + " failed", e);
        }
        bytes.flip();
        bytes.asFloatBuffer().get(dst, 0, length);
    }

    @Override
    public void write(float[] src) {
        bytes.clear();
        bytes.asFloatBuffer().put(src, 0, length);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing parameter shard file " + tmp + " failed", e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new UncheckedIOException("the file system of " + file.getParent() + " cannot rename atomically;"
                    + " choose another " + ParamNvmePath.KEY, e);
        } catch (IOException e) {
            throw new UncheckedIOException("renaming " + tmp + " to " + file + " failed", e);
        }
    }

    /** Deletes the file (and a leftover {@code .tmp}) and the ledger entry. */
    @Override
    public void close() {
        entry.close();
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".tmp"));
        } catch (IOException e) {
            throw new UncheckedIOException("deleting parameter shard file " + file + " failed", e);
        }
    }
}
