package io.ds4j.zero.stage3;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A shard in a file ({@code offload_param.device: nvme}), entered in the ledger on {@link MemoryTier#DISK} with the
 * file's length. The file holds the shard's {@link #length()} floats in native byte order and nothing else.
 *
 * <p>The store keeps no copy of the shard in memory: reads and writes go through the rank's
 * {@link ParamSwapBuffers} ({@code buffer_count} buffers of {@code buffer_size} elements), a tile of one buffer at a
 * time, with positional reads and writes of the file. Nothing is fsynced: these are scratch files, deleted by
 * {@link #close()}. Confined to the rank's thread.
 */
public final class FileShardStore implements ShardStore {
    private final Path file;
    private final int length;
    private final ParamSwapBuffers buffers;
    private final MemoryLedger.Allocation entry;

    /**
     * Creates the store: a file of {@code length} zero floats at {@code dir/<fileName>}.
     *
     * @param dir      the rank's directory (see {@link ParamNvmePath#createRankDirectory})
     * @param fileName the file's name in it, unique per parameter
     * @param length   elements
     * @param buffers  the rank's swap buffers
     * @param ledger   the rank's ledger (the file is entered as parameters on disk)
     */
    public FileShardStore(Path dir, String fileName, int length, ParamSwapBuffers buffers, MemoryLedger ledger) {
        this.file = dir.resolve(fileName);
        this.length = length;
        this.buffers = buffers;
        buffers.register(length);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength((long) Float.BYTES * length); // reads as zeros
            this.entry = ledger.allocate(MemoryCategory.PARAMETERS, MemoryTier.DISK, f.length(),
                    "stage3 shard on nvme " + fileName);
        } catch (IOException e) {
            throw new UncheckedIOException("creating parameter shard file " + file + " failed", e);
        }
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
    public void read(int from, float[] dst, int at, int n) {
        ShardStore.checkRange(length, from, dst.length, at, n);
        readTiles(from, n, (tile, done, k) -> tile.get(dst, at + done, k));
    }

    /** Through the swap buffers straight into {@code dst} (e.g. native memory): no heap tile, one file open. */
    @Override
    public void read(int from, java.nio.FloatBuffer dst, int at, int n) {
        ShardStore.checkRange(length, from, dst.capacity(), at, n);
        readTiles(from, n, (tile, done, k) -> dst.put(at + done, tile, 0, k));
    }

    private interface TileSink {
        void accept(java.nio.FloatBuffer tile, int done, int k);
    }

    private void readTiles(int from, int n, TileSink sink) {
        ByteBuffer b = buffers.acquire();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() != (long) Float.BYTES * length) {
                throw new IllegalStateException(file + " has " + ch.size() + " bytes, a shard of " + length
                        + " floats needs " + (long) Float.BYTES * length + "; the file was changed outside ds4j");
            }
            for (int done = 0; done < n; ) {
                int k = Math.min(n - done, buffers.tileElements());
                b.clear().limit(Float.BYTES * k);
                long pos = (long) Float.BYTES * (from + done);
                while (b.hasRemaining()) {
                    if (ch.read(b, pos + b.position()) < 0) {
                        throw new IllegalStateException(file + " ended early");
                    }
                }
                b.flip();
                sink.accept(b.asFloatBuffer(), done, k);
                done += k;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading parameter shard file " + file + " failed", e);
        } finally {
            buffers.release(b);
        }
    }

    @Override
    public void write(int from, float[] src, int at, int n) {
        ShardStore.checkRange(length, from, src.length, at, n);
        ByteBuffer b = buffers.acquire();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (int done = 0; done < n; ) {
                int k = Math.min(n - done, buffers.tileElements());
                b.clear();
                b.asFloatBuffer().put(src, at + done, k);
                b.limit(Float.BYTES * k);
                long pos = (long) Float.BYTES * (from + done);
                while (b.hasRemaining()) {
                    ch.write(b, pos + b.position());
                }
                done += k;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing parameter shard file " + file + " failed", e);
        } finally {
            buffers.release(b);
        }
    }

    /** Deletes the file and the ledger entry. */
    @Override
    public void close() {
        entry.close();
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("deleting parameter shard file " + file + " failed", e);
        }
    }
}
