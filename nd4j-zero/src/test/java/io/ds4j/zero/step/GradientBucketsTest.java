package io.ds4j.zero.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ds4j.zero.comm.CollectiveKind;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.comm.Ranks;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ZeRO-2's bucketed reduction against {@link Stage2Step}, which reduce-scatters a full-size local gradient (an
 * independent path: strided reduce-scatter of the padded vector). Both sum the ranks in rank order and scale in
 * float, so the shards must be bit-identical, whatever the piece sizes, their order and the bucket size.
 */
class GradientBucketsTest {

    private static final int LENGTH = 37; // odd: padding for W = 2 and 3

    @ParameterizedTest(name = "W={0}, gas={1}, bucket={2}, prescale={3}, predivide={4}, descending={5}")
    @CsvSource({"1,1,5,false,1,true", "2,1,5,false,1,true", "2,3,4,false,1,true", "3,2,7,true,1,true",
                "3,3,100,false,2,true", "2,2,1,false,1,true", "3,2,6,false,1,false", "2,1,3,false,4,false"})
    void shardsEqualStage2sReduceScatter(int w, int gas, long bucket, boolean prescale, double pre,
                                         boolean descending) {
        ShardLayout layout = new ShardLayout(LENGTH, w, 2);
        ReductionScaling scaling = new ReductionScaling(prescale, pre);
        List<InProcessCollectives> comms = InProcessCollectives.create(w, Duration.ofSeconds(20));
        List<float[][]> out = Ranks.run(comms, comm -> {
            ZeroStep step = ZeroStep.create(2, comm, layout, new ZeroStep.Buckets(bucket, 8), scaling);
            Range own = layout.ownedRange(comm.rank());
            FloatBuffer shard = FloatBuffer.allocate((int) own.length());
            float[][] pairs = new float[4][];
            try (GradientBuckets b = new GradientBuckets(comm, layout, bucket, scaling, shard,
                    new MemoryLedger(comm.rank()))) {
                for (int k = 0; k < 2; k++) {     // two steps: the shard restarts from zero
                    for (int m = 0; m < gas; m++) {
                        float[] g = localGradient(layout, comm.rank(), 10 * k + m);
                        step.accumulate(g);
                        feed(b, g, descending);
                        b.endMicroBatch();
                    }
                    b.finish();
                    ReducedGradient red = step.reduce();
                    pairs[2 * k] = java.util.Arrays.copyOfRange(red.data(), red.offset(), red.offset() + red.length());
                    pairs[2 * k + 1] = shard.array().clone();
                }
            }
            return pairs;
        });
        for (int r = 0; r < w; r++) {
            assertArrayEquals(out.get(r)[0], out.get(r)[1], "rank " + r + " step 1");
            assertArrayEquals(out.get(r)[2], out.get(r)[3], "rank " + r + " step 2");
        }
    }

    /** Pieces of 1 to 9 elements, from the top down (a backward pass) or from the bottom up. */
    private static void feed(GradientBuckets b, float[] g, boolean descending) {
        Random r = new Random(7);
        int at = descending ? LENGTH : 0;
        while (descending ? at > 0 : at < LENGTH) {
            int n = 1 + r.nextInt(9);
            if (descending) {
                n = Math.min(n, at);
                at -= n;
                b.add(at, g, at, n);
            } else {
                n = Math.min(n, LENGTH - at);
                b.add(at, g, at, n);
                at += n;
            }
        }
    }

    /** Each rank sends every element of the vector once (to its owner): (N-1) Psi over the ranks, as a reduce-scatter. */
    @Test
    void reducesEachElementOnceToItsOwnerAndAccountsTheBucket() {
        int w = 3;
        ShardLayout layout = new ShardLayout(LENGTH, w, 2);
        List<InProcessCollectives> comms = InProcessCollectives.create(w, Duration.ofSeconds(20));
        List<Long> sent = Ranks.run(comms, comm -> {
            MemoryLedger ledger = new MemoryLedger(comm.rank());
            FloatBuffer shard = FloatBuffer.allocate((int) layout.ownedRange(comm.rank()).length());
            try (GradientBuckets b = new GradientBuckets(comm, layout, 8, ReductionScaling.DEFAULT, shard, ledger)) {
                assertEquals(4L * 8, ledger.snapshot().bytes(MemoryCategory.COMM_BUFFERS));
                feed(b, localGradient(layout, comm.rank(), 0), true);
                b.endMicroBatch();
                b.finish();
            }
            assertEquals(0, ledger.snapshot().bytes(MemoryCategory.COMM_BUFFERS), "closed: released");
            return comm.stats().of(CollectiveKind.REDUCE).elements();
        });
        assertEquals(2L * LENGTH, sent.stream().mapToLong(Long::longValue).sum());
    }

    @Test
    void bucketIsAtMostTheModelAndFinishBeforeAnyMicroBatchIsRefused() {
        ShardLayout layout = new ShardLayout(LENGTH, 1, 2);
        InProcessCollectives comm = InProcessCollectives.create(1, Duration.ofSeconds(5)).get(0);
        try (GradientBuckets b = new GradientBuckets(comm, layout, 500_000_000L, ReductionScaling.DEFAULT,
                FloatBuffer.allocate(LENGTH), new MemoryLedger(0))) {
            assertEquals(LENGTH, b.bucketElements());
            assertThrows(IllegalStateException.class, b::finish);
            assertThrows(IllegalArgumentException.class, () -> b.add(LENGTH - 1, new float[2], 0, 2));
        }
    }

    private static float[] localGradient(ShardLayout layout, int rank, int micro) {
        Random r = new Random(31L * rank + micro);
        float[] g = new float[(int) layout.paddedLength()];
        for (int i = 0; i < layout.length(); i++) {
            g[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return g;
    }
}
