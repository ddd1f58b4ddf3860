package io.ds4j.zero.step;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.shard.BucketPiece;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;
import java.nio.FloatBuffer;
import java.util.Arrays;

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

    /**
     * Stage 0 without an accumulator: {@code g}'s real elements become the mean over ranks, all-reduced chunk by chunk
     * ({@code bucket} elements, at most the staging array) through {@code staging}. Per element the same arithmetic as
     * scaling a full-size copy, all-reducing it in chunks and scaling it again.
     */
    static void allReduceInPlace(Collectives comm, ShardLayout layout, long bucket, ReductionScaling scaling,
                                 FloatBuffer g, float[] staging) {
        int w = comm.worldSize();
        for (Range c : ShardLayout.chunks(new Range(0, layout.length()), Math.min(bucket, staging.length))) {
            int off = (int) c.offset();
            int len = (int) c.length();
            g.get(off, staging, 0, len);
            scale(staging, 0, len, scaling.beforeSum(w));
            comm.allReduceSum(staging, 0, len);
            scale(staging, 0, len, scaling.afterSum(w));
            g.put(off, staging, 0, len);
        }
    }

    /**
     * Stages 1-2 without an accumulator: the real elements of this rank's shard of {@code g} become the mean over
     * ranks, reduce-scattered bucket by bucket: bucket piece p of every rank's shard is staged contiguously in
     * {@code staging} (padding as zeros), reduce-scattered in place, and the own block written back. The other
     * elements of {@code g} are not changed.
     */
    static void reduceScatterInPlace(Collectives comm, ShardLayout layout, long bucket, ReductionScaling scaling,
                                     FloatBuffer g, float[] staging) {
        int w = comm.worldSize();
        int me = comm.rank();
        long shard = layout.shardLength();
        for (BucketPiece p : layout.shardBuckets(bucket)) {
            int len = (int) p.length();
            if ((long) len * w > staging.length) {
                throw new IllegalStateException("bucket of " + len + " x " + w + " elements does not fit the staging"
                        + " array of " + staging.length);
            }
            for (int q = 0; q < w; q++) {
                long flat = q * shard + p.shardOffset();
                int real = real(layout, flat, len);
                if (real > 0) {
                    g.get((int) flat, staging, q * len, real);
                }
                Arrays.fill(staging, q * len + real, (q + 1) * len, 0f);
            }
            scale(staging, 0, w * len, scaling.beforeSum(w));
            comm.reduceScatterSum(staging, 0, len, staging, me * len, len);
            long flat = me * shard + p.shardOffset();
            int real = real(layout, flat, len);
            scale(staging, me * len, me * len + real, scaling.afterSum(w));
            if (real > 0) {
                g.put((int) flat, staging, me * len, real);
            }
        }
    }

    /** Elements a reduce-scatter of {@code bucket} stages: every rank's largest bucket piece, at most the model. */
    static int reduceScatterStaging(ShardLayout layout, long bucket) {
        long piece = 0;
        for (BucketPiece p : layout.shardBuckets(bucket)) {
            piece = Math.max(piece, p.length());
        }
        return (int) (piece * layout.worldSize());
    }

    /** The elements of {@code [flat, flat + len)} that are real (below the model's length), not padding. */
    private static int real(ShardLayout layout, long flat, int len) {
        return (int) Math.max(0, Math.min(len, layout.length() - flat));
    }
}
