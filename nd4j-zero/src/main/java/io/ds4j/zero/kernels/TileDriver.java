package io.ds4j.zero.kernels;

/** Runs a {@link Body} over a range of {@link OptimizerBuffers}, tile by tile, on the parts of a {@link KernelPool}. */
final class TileDriver {
    private TileDriver() {
    }

    /** The arithmetic of one kernel on one tile; {@code acc} is the part's accumulator array. */
    @FunctionalInterface
    interface Body {
        void update(Tile t, double[] acc);
    }

    static double[] run(OptimizerBuffers b, long from, long length, float multiplier, KernelPool pool,
            Tile.Access access, int accumulators, Body body) {
        if (from < 0 || length < 0 || from + length > b.length()) {
            throw new IllegalArgumentException("range [" + from + ", " + (from + length) + ") is outside the "
                    + b.length() + " elements of the optimizer buffers");
        }
        // in place and without a compute copy to write while the tile is in cache: one tile per part
        long tile = Tile.inPlace(b, access) && (b.computeCopy() == null || !access.writesMaster())
                ? Integer.MAX_VALUE : Tile.SIZE;
        return pool.run(from, length, accumulators, (a, end, acc) -> {
            Tile t = Tile.local();
            for (long at = a; at < end; at += tile) {
                int n = (int) Math.min(tile, end - at);
                t.load(b, at, n, multiplier, access);
                body.update(t, acc);
                t.store(b, at, access);
            }
        });
    }

    static void checkState(FusedOptimizer opt, OptimizerBuffers b) {
        if (b.state().size() != opt.stateWords()) {
            throw new IllegalArgumentException(opt.name() + " needs " + opt.stateWords() + " state vector(s), got "
                    + b.state().size());
        }
    }
}
