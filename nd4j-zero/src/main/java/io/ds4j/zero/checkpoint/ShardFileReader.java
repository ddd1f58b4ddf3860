package io.ds4j.zero.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Reads one {@link ShardFile} from a stream, checking as it goes: magic, version, header, the length the header
 * promises against the file's size, then the checksum. Every error names the file.
 */
final class ShardFileReader {

    private final Path file;
    private final long size;
    private final InputStream in;
    private final CRC32C crc = new CRC32C();

    ShardFileReader(Path file, long size, InputStream in) {
        this.file = file;
        this.size = size;
        this.in = in;
    }

    ShardFile read() throws IOException {
        byte[] magic = ShardFile.magic();
        if (size < magic.length + 8) {
            throw truncated(magic.length + 8);
        }
        byte[] head = readBytes(magic.length + 8);
        if (!Arrays.equals(Arrays.copyOf(head, magic.length), magic)) {
            throw new CheckpointException(file, "not a ds4j checkpoint file (its first bytes are not DS4JCKPT);"
                    + " point at a folder written by saveCheckpoint or bin/ds4j train --save-dir");
        }
        ByteBuffer b = ByteBuffer.wrap(head, magic.length, 8);
        int version = b.getInt();
        int headerLength = b.getInt();
        if (version != ShardFile.FORMAT_VERSION) {
            throw new CheckpointException(file, "format version " + version + ", but this ds4j reads version "
                    + ShardFile.FORMAT_VERSION + "; load it with the ds4j version that wrote it");
        }
        if (headerLength < 0 || headerLength > ShardFile.maxHeader()) {
            throw new CheckpointException(file, "corrupt: header length " + headerLength + " is impossible; the"
                    + " file is damaged, load another tag");
        }
        if (size < magic.length + 8L + headerLength) {
            throw truncated(magic.length + 8L + headerLength);
        }
        Map<String, String> meta = ShardFile.parseHeader(file,
                new String(readBytes(headerLength), StandardCharsets.UTF_8));
        List<String[]> counts = sections(meta.remove("sections"));
        long floats = 0;
        for (String[] c : counts) {
            floats += Long.parseLong(c[1]);
        }
        long expected = magic.length + 8L + headerLength + 4 * floats + 8 + ShardFile.endMagic().length;
        if (size < expected) {
            throw truncated(expected);
        }
        if (size > expected) {
            throw new CheckpointException(file, "corrupt: " + size + " bytes, but its header describes " + expected
                    + "; the file is damaged, load another tag");
        }
        List<ShardFile.Section> sections = new ArrayList<>();
        for (String[] c : counts) {
            sections.add(new ShardFile.Section(c[0], readFloats(Integer.parseInt(c[1]))));
        }
        checkTail();
        return new ShardFile(meta, sections);
    }

    private List<String[]> sections(String list) {
        List<String[]> out = new ArrayList<>();
        if (list == null) {
            throw new CheckpointException(file, "corrupt header: no 'sections' entry; the file is damaged, load"
                    + " another tag");
        }
        if (list.isEmpty()) {
            return out;
        }
        for (String s : list.split(",")) {
            String[] nc = s.split(":");
            if (nc.length != 2 || !nc[1].matches("\\d{1,10}") || Long.parseLong(nc[1]) > Integer.MAX_VALUE) {
                throw new CheckpointException(file, "corrupt header: section entry '" + s + "'; the file is damaged,"
                        + " load another tag");
            }
            out.add(nc);
        }
        return out;
    }

    private void checkTail() throws IOException {
        long computed = crc.getValue();
        byte[] tail = new byte[8 + ShardFile.endMagic().length];
        readFully(tail);
        long stored = ByteBuffer.wrap(tail, 0, 8).getLong();
        if (stored != computed) {
            throw new CheckpointException(file, String.format("corrupt: checksum mismatch (stored %08x, computed"
                    + " %08x); a byte was changed after the save, load another tag", stored, computed));
        }
        if (!Arrays.equals(Arrays.copyOfRange(tail, 8, tail.length), ShardFile.endMagic())) {
            throw new CheckpointException(file, "corrupt: the end marker is damaged; load another tag");
        }
    }

    private CheckpointException truncated(long atLeast) {
        return new CheckpointException(file, "truncated: " + size + " bytes, expected " + (atLeast > size ? "at"
                + " least " : "") + atLeast + "; the save did not finish or the copy was cut, load another tag");
    }

    private byte[] readBytes(int n) throws IOException {
        byte[] b = new byte[n];
        readFully(b);
        crc.update(b);
        return b;
    }

    private float[] readFloats(int n) throws IOException {
        float[] out = new float[n];
        byte[] chunk = new byte[Math.min(ShardFile.chunk(), 4 * n)];
        ByteBuffer view = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
        for (int at = 0; at < n; ) {
            int k = Math.min(chunk.length / 4, n - at);
            readFully(chunk, 4 * k);
            crc.update(chunk, 0, 4 * k);
            view.clear();
            view.asFloatBuffer().get(out, at, k);
            at += k;
        }
        return out;
    }

    private void readFully(byte[] b) throws IOException {
        readFully(b, b.length);
    }

    private void readFully(byte[] b, int n) throws IOException {
        int done = 0;
        while (done < n) {
            int r = in.read(b, done, n - done);
            if (r < 0) {
                throw new CheckpointException(file, "truncated while reading; the file changed during the load");
            }
            done += r;
        }
    }
}
