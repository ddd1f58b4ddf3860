package io.ds4j.dl4j;

import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.shard.ShardLayout;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The all-gather of the updated shards straight into a replica's flat parameters, piece by piece through a staging
 * array smaller than the model: piece {@code p} of every rank's shard (the same shard offsets on every rank, as
 * {@link ShardLayout#shardBuckets} cuts them) is gathered into {@code staging} and written into the parameters at each
 * rank's flat offsets. No full-size copy of the parameters exists besides the replica's own. Each rank moves
 * {@code (N-1)} times its shard, as the bucketed all-gather of a full-size array does.
 */
final class ParamGather {

    /** Where a rank's own values come from. */
    @FunctionalInterface
    interface OwnValues {
        /** Copies {@code n} values of the rank's update range from {@code from} (relative to it) to {@code dst[at]}. */
        void read(long from, int n, float[] dst, int at);
    }

    private ParamGather() {
    }

    /**
     * Gathers every rank's update range into {@code params}.
     *
     * @param allgatherBucketSize {@code allgather_bucket_size}: elements per piece over all ranks (capped by the
     *        staging array, and at least one element per rank)
     * @param staging the array the pieces go through, at least {@code worldSize} elements
     * @param params the replica's flat parameters (FLOAT, or HALF for a HALF replica: the values are fp16 values)
     * @param own this rank's updated values
     */
    static void gather(Collectives comm, ShardLayout layout, long allgatherBucketSize, float[] staging,
                       INDArray params, OwnValues own) {
        int n = comm.worldSize();
        int me = comm.rank();
        long shard = layout.shardLength();
        long bucket = Math.min(allgatherBucketSize, staging.length);
        int piece = (int) Math.max(1, Math.min(shard, bucket / n));
        if ((long) piece * n > staging.length) {
            throw new IllegalArgumentException("gather staging of " + staging.length + " elements cannot hold one"
                    + " element of each of " + n + " ranks");
        }
        for (long p = 0; p < shard; p += piece) {
            int len = (int) Math.min(piece, shard - p);
            int real = real(layout, me * shard + p, len);
            if (real > 0) {
                own.read(p, real, staging, me * len);
            }
            Arrays.fill(staging, me * len + real, (me + 1) * len, 0f); // padding
            comm.allGather(staging, me * len, staging, 0, len, len);
            for (int k = 0; k < n; k++) {
                long flat = k * shard + p;
                int r = real(layout, flat, len);
                if (r > 0) {
                    HostFloats.write(staging, k * len, ShardUpdater.slice(params, flat, flat + r));
                }
            }
        }
    }

    /** The elements of {@code [flat, flat + len)} that are real (below the model's length), not padding. */
    private static int real(ShardLayout layout, long flat, int len) {
        return (int) Math.max(0, Math.min(len, layout.length() - flat));
    }
}
