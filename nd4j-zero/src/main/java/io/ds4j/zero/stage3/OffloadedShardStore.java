package io.ds4j.zero.stage3;


/**
 * A mixed-precision parameter shard ({@link ParamHome}): the gathers read the 16-bit copy (on the device, the host or
 * disk); the optimizer updates the fp32 master; {@link #sync()} rounds the master into the copy after each optimizer
 * step, a tile of at most {@link HalfShardStore#TILE} floats at a time (no shard-sized staging is held).
 */
public final class OffloadedShardStore implements ShardStore {
    private final MasterShardStore master;
    private final ShardStore copy;

    OffloadedShardStore(MasterShardStore master, ShardStore copy) {
        if (master.length() != copy.length()) {
            throw new IllegalArgumentException("master of " + master.length() + " and offloaded copy of "
                    + copy.length() + " elements");
        }
        this.master = master;
        this.copy = copy;
    }

    /** The fp32 master the optimizer updates. */
    public MasterShardStore master() {
        return master;
    }

    /** Floats {@link #sync()} copies at a time. */
    public static final int SYNC_TILE = HalfShardStore.TILE;

    /** Writes the master's current values to the copy. */
    public void sync() {
        sync(new float[Math.min(Math.max(master.length(), 1), SYNC_TILE)]);
    }

    /** As {@link #sync()} through the caller's {@code tile} (any length from 1; one tile for every shard of a step). */
    public void sync(float[] tile) {
        int n = master.length();
        for (int done = 0; done < n; done += tile.length) {
            int k = Math.min(tile.length, n - done);
            master.read(done, tile, 0, k);
            copy.write(done, tile, 0, k);
        }
    }

    @Override
    public int length() {
        return copy.length();
    }

    @Override
    public void read(int from, float[] dst, int at, int n) {
        copy.read(from, dst, at, n);
    }

    @Override
    public void write(int from, float[] src, int at, int n) {
        master.write(from, src, at, n);
        copy.write(from, src, at, n);
    }

    @Override
    public void close() {
        try {
            copy.close();
        } finally {
            master.close();
        }
    }
}
