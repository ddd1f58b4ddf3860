package io.ds4j.zero.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file format: round trip, the bytes on disk, and a named error for every kind of damage. */
class ShardFileTest {

    @TempDir
    Path dir;

    private static ShardFile sample() {
        float[] big = new float[(1 << 20) + 7]; // more than one 4 MiB write chunk
        for (int i = 0; i < big.length; i++) {
            big[i] = i * 0.5f - 3;
        }
        return new ShardFile(Map.of("rank", "1", "world_size", "3", "config_hash", "abc"), List.of(
                new ShardFile.Section("master", new float[] {1.5f, -0f, Float.NaN, Float.MIN_VALUE}),
                new ShardFile.Section("empty", new float[0]), new ShardFile.Section("state.0", big)));
    }

    @Test
    void roundTripKeepsEveryBitAndTheHeader() throws IOException {
        ShardFile f = sample();
        Path p = dir.resolve("f");
        f.write(p);
        assertEquals(f.byteSize(), Files.size(p));
        ShardFile r = ShardFile.read(p);
        assertEquals("3", r.get("world_size"));
        assertEquals("1", r.get("format_version"));
        assertTrue(r.get("ds4j_version").matches("\\d+\\.\\d+.*"), r.get("ds4j_version"));
        for (ShardFile.Section s : f.sections()) {
            float[] a = s.values();
            float[] b = r.section(s.name());
            assertEquals(a.length, b.length);
            for (int i = 0; i < a.length; i++) {
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), s.name() + "[" + i + "]");
            }
        }
    }

    @Test
    void bytesOnDiskAreTheDocumentedLayout() throws IOException {
        Path p = dir.resolve("f");
        new ShardFile(Map.of(), List.of(new ShardFile.Section("x", new float[] {2f}))).write(p);
        byte[] b = Files.readAllBytes(p);
        assertEquals("DS4JCKPT", new String(b, 0, 8, StandardCharsets.US_ASCII));
        ByteBuffer bb = ByteBuffer.wrap(b);
        assertEquals(1, bb.getInt(8));
        int h = bb.getInt(12);
        String header = new String(b, 16, h, StandardCharsets.UTF_8);
        assertTrue(header.contains("sections=x:1\n"), header);
        assertEquals(2f, ByteBuffer.wrap(b, 16 + h, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b, 0, 16 + h + 4);
        assertEquals(crc.getValue(), bb.getLong(16 + h + 4));
        assertEquals("DS4JEND.", new String(b, b.length - 8, 8, StandardCharsets.US_ASCII));
    }

    @Test
    void truncatedFileIsNamedWithItsLength() throws IOException {
        Path p = dir.resolve("f");
        sample().write(p);
        long full = Files.size(p);
        for (long keep : new long[] {0, 10, 100, full / 2, full - 1}) {
            try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
                raf.setLength(keep);
            }
            CheckpointException e = assertThrows(CheckpointException.class, () -> ShardFile.read(p));
            assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("truncated: " + keep + " bytes"), e.getMessage());
            sample().write(p);
        }
    }

    @Test
    void everyFlippedByteIsCaught() throws IOException {
        Path p = dir.resolve("f");
        ShardFile small = new ShardFile(Map.of("k", "v"), List.of(new ShardFile.Section("x", new float[] {1, 2, 3})));
        small.write(p);
        byte[] good = Files.readAllBytes(p);
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x10;
            Files.write(p, bad);
            CheckpointException e = assertThrows(CheckpointException.class, () -> ShardFile.read(p),
                    "flipped byte " + i);
            assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        }
    }

    @Test
    void flippedPayloadByteIsAChecksumMismatch() throws IOException {
        Path p = dir.resolve("f");
        sample().write(p);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.seek(raf.length() - 1000);
            int b = raf.read();
            raf.seek(raf.length() - 1000);
            raf.write(b ^ 1);
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> ShardFile.read(p));
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
    }

    @Test
    void otherFilesAndVersionsAreRefusedByName() throws IOException {
        Path p = dir.resolve("f");
        Files.writeString(p, "{\"not\": \"a checkpoint at all\"}");
        assertTrue(assertThrows(CheckpointException.class, () -> ShardFile.read(p)).getMessage()
                .contains("not a ds4j checkpoint file"));
        sample().write(p);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.seek(8);
            raf.writeInt(7);
        }
        assertTrue(assertThrows(CheckpointException.class, () -> ShardFile.read(p)).getMessage()
                .contains("format version 7, but this ds4j reads version 1"));
        Path missing = dir.resolve("none");
        assertTrue(assertThrows(CheckpointException.class, () -> ShardFile.read(missing)).getMessage()
                .contains("missing"));
    }

    @Test
    void badNamesAndHeaderValuesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ShardFile.Section("a:b", new float[0]));
        assertThrows(IllegalArgumentException.class, () -> new ShardFile(Map.of("k", "two\nlines"), List.of()));
        float[] v = {1};
        assertArrayEquals(v, new ShardFile(Map.of(), List.of(new ShardFile.Section("s", v))).section("s"));
    }
}
