package io.ds4j.dl4j.stage3;

import io.ds4j.dl4j.precision.HalfCodec;
import io.ds4j.precision.Bf16;
import io.ds4j.precision.Fp16;
import io.ds4j.precision.Precision;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.stage3.ShardStore;

/**
 * A parameter shard held as 16-bit bits (fp16 or bf16, 2 bytes per element in the ledger): what the gathers read in
 * mixed-precision training. {@link #write} rounds to nearest, ties to even; {@link #read} decodes exactly, so the
 * gathered FLOAT values are exactly representable in the format.
 */
final class HalfShardStore implements ShardStore {
    private final short[] bits;
    private final HalfCodec codec;
    private final MemoryLedger.Allocation bytes;

    /**
     * @param format fp16 or bf16
     * @param length elements
     * @param ledger the rank's ledger (entered as {@code PARAMETERS}, 2 B per element)
     * @param tier   device (no offload) or host ({@code offload_param.device: cpu})
     * @param label  for the ledger
     */
    HalfShardStore(Precision format, int length, MemoryLedger ledger, MemoryTier tier, String label) {
        this.codec = HalfCodec.of(format);
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
     * A store that rounds what it is given to a 16-bit format before handing it to another store (the nvme file
     * store, whose files keep FLOAT values: 16-bit values in 4 bytes each on disk). Rounds in tiles of at most
     * {@value #TILE} floats, allocated per write, so it holds no shard-sized buffer between calls.
     */
    static ShardStore rounding(Precision format, ShardStore target) {
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
                for (int done = 0; done < n; done += tile.length) {
                    int k = Math.min(tile.length, n - done);
                    for (int i = 0; i < k; i++) {
                        float v = src[at + done + i];
                        tile[i] = format == Precision.FP16 ? Fp16.round(v) : Bf16.round(v);
                    }
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
