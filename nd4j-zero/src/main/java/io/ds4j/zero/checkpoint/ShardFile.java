package io.ds4j.zero.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * One checkpoint file: a header of text metadata and named fp32 sections, with a checksum.
 *
 * <p>Layout (integers big-endian, floats little-endian):
 * <pre>
 *   8 bytes  magic "DS4JCKPT"
 *   4 bytes  format version ({@link #FORMAT_VERSION})
 *   4 bytes  header length H
 *   H bytes  header, UTF-8 lines "key=value" sorted by key; "sections" lists "name:count" in payload order
 *   payload  each section's floats, 4 bytes each
 *   8 bytes  CRC-32C of every byte before it
 *   8 bytes  end magic "DS4JEND."
 * </pre>
 * The header always carries {@code format_version} and {@code ds4j_version}; the writer of a checkpoint adds the
 * config hash, the shard layout and whatever else it needs to load the file. Reading checks the magic, the version,
 * the length the header promises and the checksum, and names the file in every error.
 *
 * @param meta     the header's key/value pairs (keys and values without line breaks; keys without '=')
 * @param sections the payload, in order
 */
public record ShardFile(Map<String, String> meta, List<Section> sections) {

    /** The version of this layout; a reader refuses any other. */
    public static final int FORMAT_VERSION = 1;

    private static final byte[] MAGIC = "DS4JCKPT".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "DS4JEND.".getBytes(StandardCharsets.US_ASCII);
    private static final int CHUNK = 1 << 22; // bytes per write and read
    private static final int MAX_HEADER = 64 << 20;

    /**
     * One named fp32 array of the payload.
     *
     * @param name   a name without ':' ',' '=' or line breaks
     * @param values the values
     */
    public record Section(String name, float[] values) {
        /** Validates the name. */
        public Section {
            Objects.requireNonNull(values, "values");
            if (name == null || name.isEmpty() || name.matches(".*[:,=\\r\\n].*")) {
                throw new IllegalArgumentException("section name '" + name + "' must be non-empty, without : , = or"
                        + " line breaks");
            }
        }
    }

    /** Copies the metadata (sorted) and validates keys and values. */
    public ShardFile {
        meta = new TreeMap<>(meta);
        meta.put("format_version", Integer.toString(FORMAT_VERSION));
        meta.putIfAbsent("ds4j_version", Ds4jVersion.get());
        for (Map.Entry<String, String> e : meta.entrySet()) {
            if (e.getKey().isEmpty() || e.getKey().contains("=")
                    || (e.getKey() + e.getValue()).matches("(?s).*[\\r\\n].*")) {
                throw new IllegalArgumentException("header entry '" + e.getKey() + "' must have a key without '=' and"
                        + " no line breaks");
            }
        }
        sections = List.copyOf(sections);
    }

    /**
     * @param key a header key
     * @return its value
     * @throws IllegalArgumentException when the header has no such key
     */
    public String get(String key) {
        String v = meta.get(key);
        if (v == null) {
            throw new IllegalArgumentException("header has no '" + key + "'");
        }
        return v;
    }

    /**
     * @param name a section name
     * @return that section's values
     * @throws IllegalArgumentException when there is none
     */
    public float[] section(String name) {
        for (Section s : sections) {
            if (s.name().equals(name)) {
                return s.values();
            }
        }
        throw new IllegalArgumentException("no section '" + name + "'");
    }

    /** @return the number of bytes {@link #write} puts on disk */
    public long byteSize() {
        long floats = 0;
        for (Section s : sections) {
            floats += s.values().length;
        }
        return MAGIC.length + 8 + headerBytes().length + 4 * floats + 8 + END.length;
    }

    private byte[] headerBytes() {
        StringBuilder b = new StringBuilder();
        Map<String, String> all = new TreeMap<>(meta);
        List<String> names = new ArrayList<>();
        for (Section s : sections) {
            names.add(s.name() + ":" + s.values().length);
        }
        all.put("sections", String.join(",", names));
        all.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Writes the file and forces it to the storage device before returning.
     *
     * @param file where; an existing file is replaced
     * @throws IOException when the file cannot be written (e.g. the disk is full)
     */
    public void write(Path file) throws IOException {
        byte[] header = headerBytes();
        CRC32C crc = new CRC32C();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer head = ByteBuffer.allocate(MAGIC.length + 8 + header.length);
            head.put(MAGIC).putInt(FORMAT_VERSION).putInt(header.length).put(header).flip();
            writeAll(ch, head, crc);
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            for (Section s : sections) {
                float[] v = s.values();
                for (int at = 0; at < v.length; ) {
                    int n = Math.min(CHUNK / 4, v.length - at);
                    buf.clear();
                    buf.asFloatBuffer().put(v, at, n);
                    buf.limit(4 * n);
                    writeAll(ch, buf, crc);
                    at += n;
                }
            }
            ByteBuffer tail = ByteBuffer.allocate(8 + END.length);
            tail.putLong(crc.getValue()).put(END).flip();
            writeAll(ch, tail, null);
            ch.force(true);
        }
    }

    private static void writeAll(FileChannel ch, ByteBuffer b, CRC32C crc) throws IOException {
        if (crc != null) {
            crc.update(b.duplicate());
        }
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /**
     * Reads and checks a file.
     *
     * @param file the file
     * @return its contents
     * @throws CheckpointException naming the file when it is missing, unreadable, of another format or version,
     *                             truncated, longer than its header says, or fails its checksum
     */
    public static ShardFile read(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "missing; the checkpoint is incomplete (was it copied partly?),"
                    + " load another tag");
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot be read: " + e.getMessage(), e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            return new ShardFileReader(file, size, in).read();
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot be read: " + e.getMessage(), e);
        }
    }

    /** Parses header lines; the first '=' splits key from value. */
    static Map<String, String> parseHeader(Path file, String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new CheckpointException(file, "corrupt header line '" + line + "'; the file is damaged, load"
                        + " another tag");
            }
            m.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return m;
    }

    static byte[] magic() {
        return MAGIC.clone();
    }

    static byte[] endMagic() {
        return END.clone();
    }

    static int chunk() {
        return CHUNK;
    }

    static int maxHeader() {
        return MAX_HEADER;
    }
}
