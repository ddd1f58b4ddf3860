package io.ds4j.dl4j.stage3;

import io.ds4j.zero.stage3.ShardStore;

/**
 * An offloaded parameter shard ({@link ParamHome}): the gathers read the offloaded copy; the optimizer updates the
 * fp32 master; {@link #sync()} copies the master to the copy after each optimizer step.
 */
final class OffloadedShardStore implements ShardStore {
    private final MasterShardStore master;
    private final ShardStore copy;
    private final float[] staging;

    OffloadedShardStore(MasterShardStore master, ShardStore copy) {
        if (master.length() != copy.length()) {
            throw new IllegalArgumentException("master of " + master.length() + " and offloaded copy of "
                    + copy.length() + " elements");
        }
        this.master = master;
        this.copy = copy;
        this.staging = new float[master.length()];
    }

    /** The fp32 master the optimizer updates. */
    MasterShardStore master() {
        return master;
    }

    /** Writes the master's current values to the offloaded copy. */
    void sync() {
        master.read(staging);
        copy.write(staging);
    }

    @Override
    public int length() {
        return copy.length();
    }

    @Override
    public void read(float[] dst) {
        copy.read(dst);
    }

    @Override
    public void write(float[] src) {
        master.write(src);
        copy.write(src);
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
