package io.ds4j.zero.stage3;

import io.ds4j.zero.kernels.ChunkCodec;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;

/**
 * A parameter shard held as 16-bit bits (fp16 or bf16, 2 bytes per element in the ledger): what the gathers read in
 * mixed-precision training. {@link #write} encodes with the format's codec (round to nearest, ties to even);
 * {@link #read} decodes exactly, so the gathered FLOAT values are exactly representable in the format.
 */
final class HalfShardStore implements ShardStore {
    private final short[] bits;
    private final ChunkCodec codec;
    private final MemoryLedger.Allocation bytes;

    /**
     * @param format the 16-bit format's codec (fp16 or bf16)
     * @param length elements
     * @param ledger the rank's ledger (entered as {@code PARAMETERS}, 2 B per element)
     * @param tier   device (no offload) or host ({@code offload_param.device: cpu})
     * @param label  for the ledger
     */
    HalfShardStore(ChunkCodec format, int length, MemoryLedger ledger, MemoryTier tier, String label) {
        this.codec = java.util.Objects.requireNonNull(format, "format");
        this.bits = new short[length];
        this.bytes = ledger.allocate(MemoryCategory.PARAMETERS, tier, (long) Short.BYTES * bits.length, label);
    }

    @Override
    public int length() {
        return bits.length;
    }

    @Override
    public void read(int from, float[] dst, int at, int n) {
        ShardStore.checkRange(bits.length, from, dst.length, at, n);
        codec.decode(bits, from, dst, at, n, 1f);
    }

    @Override
    public void write(int from, float[] src, int at, int n) {
        ShardStore.checkRange(bits.length, from, src.length, at, n);
        codec.encode(src, at, bits, from, n);
    }

    @Override
    public void close() {
        bytes.close();
    }

    /**
     * A store that rounds what it is given to a 16-bit format (encoded and decoded again with its codec, which is
     * exact after the encoding's rounding) before handing it to another store (the nvme file store, whose files keep
     * FLOAT values: 16-bit values in 4 bytes each on disk). Rounds in tiles of at most {@value #TILE} elements,
     * allocated per write, so it holds no shard-sized buffer between calls.
     */
    static ShardStore rounding(ChunkCodec format, ShardStore target) {
        return new ShardStore() {
            @Override
            public int length() {
                return target.length();
            }

            @Override
            public void read(int from, float[] dst, int at, int n) {
                target.read(from, dst, at, n);
            }

            @Override
            public void write(int from, float[] src, int at, int n) {
                ShardStore.checkRange(target.length(), from, src.length, at, n);
                float[] tile = new float[Math.min(n, TILE)];
                short[] bits = new short[tile.length];
                for (int done = 0; done < n; done += tile.length) {
                    int k = Math.min(tile.length, n - done);
                    format.encode(src, at + done, bits, 0, k);
                    format.decode(bits, 0, tile, 0, k, 1f);
                    target.write(from + done, tile, 0, k);
                }
            }

            @Override
            public void close() {
                target.close();
            }
        };
    }

    /** Floats rounded at once by {@link #rounding}. */
    static final int TILE = 1 << 16;
}
