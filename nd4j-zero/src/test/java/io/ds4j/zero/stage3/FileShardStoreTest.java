package io.ds4j.zero.stage3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nvme parameter shard file, its swap buffers, and the checks of {@code zero_optimization.offload_param}. */
class FileShardStoreTest {
    @TempDir
    Path base;

    @Test
    void roundTripsExactFloatsAndDeletesAtClose() {
        MemoryLedger ledger = new MemoryLedger(1);
        Path dir = ParamNvmePath.createRankDirectory(base.toString(), 1, 1024, d -> 1L << 30);
        assertTrue(dir.getFileName().toString().startsWith("ds4j-param-rank1-"), dir.toString());
        ParamSwapBuffers buffers = new ParamSwapBuffers(5, 100_000_000L, ledger);
        FileShardStore s = new FileShardStore(dir, "p.f32", 5, buffers, ledger);
        float[] zero = new float[5];
        s.read(zero);
        assertArrayEquals(new float[5], zero, "a new store holds zeros");
        float[] v = {1.5f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, 0.1f};
        s.write(v);
        float[] back = new float[5];
        s.read(back);
        assertArrayEquals(v, back, "bit-exact round trip");
        assertEquals(20, s.file().toFile().length(), "5 floats, no header");
        assertEquals(20, ledger.snapshot().bytes(MemoryCategory.PARAMETERS, MemoryTier.DISK));
        assertEquals(20, buffers.residentBytes(), "one buffer, no larger than the shard (not 1e8 elements)");
        s.close();
        assertFalse(Files.exists(s.file()));
        assertEquals(0, ledger.snapshot().bytes(MemoryCategory.PARAMETERS, MemoryTier.DISK));
        buffers.close();
        assertEquals(0, ledger.snapshot().bytes(MemoryCategory.OFFLOAD_BUFFERS, MemoryTier.HOST));
        ParamNvmePath.delete(dir);
        assertFalse(Files.exists(dir));
    }

    /** buffer_size 3 with a shard of 10: the ranges are read and written in tiles of 3 floats through one buffer. */
    @Test
    void shardsLargerThanOneBufferAreTiled() {
        MemoryLedger ledger = new MemoryLedger(0);
        Path dir = ParamNvmePath.createRankDirectory(base.toString(), 0, 1024, d -> 1L << 30);
        try (ParamSwapBuffers buffers = new ParamSwapBuffers(2, 3, ledger)) {
            FileShardStore s = new FileShardStore(dir, "p.f32", 10, buffers, ledger);
            float[] v = new float[10];
            for (int i = 0; i < v.length; i++) {
                v[i] = i + 0.25f;
            }
            s.write(v);
            float[] part = {-1f, -2f, -3f, -4f, -5f};
            s.write(4, part, 1, 4); // elements 4..7 from part[1..4]
            float[] expect = {0.25f, 1.25f, 2.25f, 3.25f, -2f, -3f, -4f, -5f, 8.25f, 9.25f};
            float[] back = new float[12];
            s.read(0, back, 2, 10);
            float[] got = new float[10];
            System.arraycopy(back, 2, got, 0, 10);
            assertArrayEquals(expect, got);
            assertEquals(1, buffers.buffers(), "synchronous I/O uses one buffer");
            assertEquals(3 * Float.BYTES, buffers.residentBytes());
            assertEquals(12, ledger.snapshot().bytes(MemoryCategory.OFFLOAD_BUFFERS, MemoryTier.HOST));
            assertThrows(IndexOutOfBoundsException.class, () -> s.read(8, new float[4], 0, 3));
            s.close();
        }
        ParamNvmePath.delete(dir);
    }

    /**
     * 16 shards of 64 Ki floats (4 MiB in all) through 2 buffers of 1 Ki elements: the process's direct memory (the
     * JVM's own count of direct buffers, not the pool's arithmetic) grows by at most the pool's budget,
     * {@code 2 x 1024 x 4} bytes, and the pool holds one 4 KiB buffer.
     */
    @Test
    void hostMemoryIsTheBuffersNotTheShards() {
        MemoryLedger ledger = new MemoryLedger(0);
        Path dir = ParamNvmePath.createRankDirectory(base.toString(), 0, 1L << 24, d -> 1L << 30);
        long before = directBytes();
        List<FileShardStore> stores = new ArrayList<>();
        try (ParamSwapBuffers buffers = new ParamSwapBuffers(2, 1024, ledger)) {
            float[] v = new float[1 << 16];
            for (int i = 0; i < 16; i++) {
                java.util.Arrays.fill(v, i);
                FileShardStore s = new FileShardStore(dir, "p" + i, v.length, buffers, ledger);
                s.write(v);
                stores.add(s);
            }
            float[] back = new float[1 << 16];
            stores.get(7).read(back);
            assertEquals(7f, back[back.length - 1]);
            long direct = directBytes() - before;
            assertTrue(direct <= buffers.budgetBytes(), "direct memory grew by " + direct + " B");
            assertEquals(4096, buffers.residentBytes());
            assertEquals(2 * 1024 * 4, buffers.budgetBytes());
            stores.forEach(FileShardStore::close);
        }
        ParamNvmePath.delete(dir);
    }

    private static long directBytes() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) {
                return b.getMemoryUsed();
            }
        }
        throw new IllegalStateException("no direct buffer pool bean");
    }

    @Test
    void bufferKeysAreCheckedByName() {
        MemoryLedger ledger = new MemoryLedger(0);
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> new ParamSwapBuffers(0, 10, ledger));
        assertTrue(count.getMessage().startsWith("zero_optimization.offload_param.buffer_count: 0"),
                count.getMessage());
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> new ParamSwapBuffers(1, 0, ledger));
        assertTrue(size.getMessage().startsWith("zero_optimization.offload_param.buffer_size: 0"), size.getMessage());
    }

    @Test
    void badPathsAreRefusedNamingTheKeyAndTheFix() {
        String key = "zero_optimization.offload_param.nvme_path";
        IllegalArgumentException unset = assertThrows(IllegalArgumentException.class,
                () -> ParamNvmePath.createRankDirectory(null, 0, 1, d -> 1L << 30));
        assertTrue(unset.getMessage().startsWith(key + ": not set"), unset.getMessage());
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class,
                () -> ParamNvmePath.createRankDirectory(base.resolve("nope").toString(), 0, 1, d -> 1L << 30));
        assertTrue(absent.getMessage().startsWith(key + ": '") && absent.getMessage().contains("does not exist"),
                absent.getMessage());
        IllegalArgumentException full = assertThrows(IllegalArgumentException.class,
                () -> ParamNvmePath.createRankDirectory(base.toString(), 2, 4096, d -> 100));
        assertTrue(full.getMessage().contains("has 100 bytes free but rank 2's parameter shards need 4096"),
                full.getMessage());
    }
}
