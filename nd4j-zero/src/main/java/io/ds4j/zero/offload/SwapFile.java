package io.ds4j.zero.offload;

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
 * The file of one sub-group: a 32-byte header (magic {@code DS4JSWAP}, format version, vectors, elements, the step
 * after which it was written) followed by the vectors (master, then each state vector) as native-order fp32.
 *
 * <p>Writes go to {@code <name>.tmp} and are renamed atomically over {@code <name>} only when complete, so a file
 * without the {@code .tmp} suffix is always whole: a crash mid-write leaves at most a {@code .tmp}. This protects
 * against a process crash; nothing is fsynced (these are scratch files, deleted at close).
 */
final class SwapFile {
    static final int HEADER_BYTES = 32;
    private static final long MAGIC = 0x4453344A53574150L;
    private static final int VERSION = 1;

    private SwapFile() {
    }

    static Path path(Path dir, int group) {
        return dir.resolve(String.format("subgroup-%06d.swp", group));
    }

    /** Writes {@code data} (position 0 to limit) as sub-group {@code group}'s file after step {@code step}. */
    static void write(Path dir, int group, int vectors, long elements, long step, ByteBuffer data, ByteBuffer header) {
        Path target = path(dir, group);
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            header.clear().order(ByteOrder.nativeOrder());
            header.putLong(MAGIC).putInt(VERSION).putInt(vectors).putLong(elements).putLong(step).flip();
            ByteBuffer d = data.duplicate().position(0);
            long want = HEADER_BYTES + (long) d.remaining();
            long done = 0;
            while (done < want) {
                done += ch.write(new ByteBuffer[] {header, d});
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing optimizer swap file " + tmp + " failed", e);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new UncheckedIOException("the file system of " + target.getParent() + " cannot rename atomically;"
                    + " choose another " + NvmePath.KEY, e);
        } catch (IOException e) {
            throw new UncheckedIOException("renaming " + tmp + " to " + target + " failed", e);
        }
    }

    /** Reads sub-group {@code group}'s file into {@code data} (position 0 to limit), checking its header. */
    static void read(Path dir, int group, int vectors, long elements, long step, ByteBuffer data, ByteBuffer header) {
        Path p = path(dir, group);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            header.clear().order(ByteOrder.nativeOrder());
            ByteBuffer d = data.duplicate().position(0);
            long want = HEADER_BYTES + (long) d.remaining();
            if (ch.size() != want) {
                throw new IllegalStateException(p + " has " + ch.size() + " bytes, expected " + want);
            }
            long done = 0;
            while (done < want) {
                long n = ch.read(new ByteBuffer[] {header, d});
                if (n < 0) {
                    throw new IllegalStateException(p + " ended after " + done + " of " + want + " bytes");
                }
                done += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading optimizer swap file " + p + " failed", e);
        }
        header.flip();
        long magic = header.getLong();
        int version = header.getInt();
        int v = header.getInt();
        long n = header.getLong();
        long s = header.getLong();
        if (magic != MAGIC || version != VERSION || v != vectors || n != elements || s != step) {
            throw new IllegalStateException(p + " is not the expected swap file (vectors " + v + ", elements " + n
                    + ", step " + s + "; expected " + vectors + ", " + elements + ", step " + step + ")");
        }
    }
}
