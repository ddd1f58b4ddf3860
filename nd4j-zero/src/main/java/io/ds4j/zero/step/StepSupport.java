package io.ds4j.zero.step;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.shard.BucketPiece;
import io.ds4j.zero.shard.ShardLayout;

/** Loops shared by the stages. */
final class StepSupport {

    private StepSupport() {
    }

    static void checkLength(float[] a, ShardLayout layout, String what) {
        if (a.length != layout.paddedLength()) {
            throw new IllegalArgumentException(what + " has " + a.length + " elements but the padded flat vector has "
                    + layout.paddedLength() + " (length " + layout.length() + " + padding " + layout.padding() + ")");
        }
    }

    static void scale(float[] a, int from, int to, double factor) {
        if (factor == 1.0) {
            return;
        }
        float f = (float) factor;
        for (int i = from; i < to; i++) {
            a[i] *= f;
        }
    }

    /** {@code acc[i] = first ? src[i] * f : acc[i] + src[i] * f} over the real elements; padding stays zero. */
    static void addScaled(float[] acc, float[] src, int length, double factor, boolean first) {
        float f = (float) factor;
        boolean unit = factor == 1.0;
        for (int i = 0; i < length; i++) {
            float v = unit ? src[i] : src[i] * f;
            acc[i] = first ? v : acc[i] + v;
        }
    }

    /** Reduce-scatters {@code input} bucket by bucket into {@code out[outOffset + shard offset]}. */
    static void reduceScatter(Collectives comm, ShardLayout layout, long bucket, float[] input, float[] out,
                              int outOffset) {
        int stride = (int) layout.shardLength();
        for (BucketPiece p : layout.shardBuckets(bucket)) {
            comm.reduceScatterSum(input, (int) p.shardOffset(), stride, out, outOffset + (int) p.shardOffset(),
                    (int) p.length());
        }
    }

    /** All-gathers every shard of {@code params} in place, bucket by bucket. */
    static void allGather(Collectives comm, ShardLayout layout, long bucket, float[] params) {
        int stride = (int) layout.shardLength();
        int own = (int) layout.shardOffset(comm.rank());
        for (BucketPiece p : layout.shardBuckets(bucket)) {
            comm.allGather(params, own + (int) p.shardOffset(), params, (int) p.shardOffset(), stride,
                    (int) p.length());
        }
    }
}
