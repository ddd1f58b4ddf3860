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
        this.bytes = ledger.allocate(MemoryCategory.PARAMETERS, tier, 2L * length, label);
    }

    @Override
    public int length() {
        return bits.length;
    }

    @Override
    public void read(float[] dst) {
        codec.decode(bits, 0, dst, 0, bits.length, 1f);
    }

    @Override
    public void write(float[] src) {
        codec.encode(src, 0, bits, 0, bits.length);
    }

    @Override
    public void close() {
        bytes.close();
    }

    /**
     * A store that rounds what it is given to a 16-bit format before handing it to another store (the nvme file
     * store, whose files keep FLOAT values: 16-bit values in 4 bytes each on disk).
     */
    static ShardStore rounding(Precision format, ShardStore target) {
        return new ShardStore() {
            private final float[] staging = new float[target.length()];

            @Override
            public int length() {
                return target.length();
            }

            @Override
            public void read(float[] dst) {
                target.read(dst);
            }

            @Override
            public void write(float[] src) {
                for (int i = 0; i < staging.length; i++) {
                    staging[i] = format == Precision.FP16 ? Fp16.round(src[i]) : Bf16.round(src[i]);
                }
                target.write(staging);
            }

            @Override
            public void close() {
                target.close();
            }
        };
    }
}
