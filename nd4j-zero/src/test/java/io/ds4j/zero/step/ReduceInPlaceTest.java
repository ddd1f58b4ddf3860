package io.ds4j.zero.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.comm.CollectiveKind;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.comm.Ranks;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A step of one micro-batch reduced in the gradient's own buffer ({@link ZeroStep#reduceInPlace}) gives, bit for bit,
 * what {@code accumulate} + {@code reduce} give (exact comparison: the same float operations in the same rank order),
 * moves the same ring volume, leaves the elements outside the update range as they were, and holds no buffer larger
 * than its bucket: no full-size accumulator exists afterwards.
 */
class ReduceInPlaceTest {

    private static final int LENGTH = 1001; // odd: padding exercised for W = 2 and 3

    @ParameterizedTest(name = "stage {0}, W={1}, buckets {2}/{3}, prescale={4}, predivide={5}")
    @CsvSource({"0,1,64,64,false,1", "0,2,64,64,false,1", "0,3,100,7,true,1", "0,3,5000,5000,false,2",
                "1,1,64,64,false,1", "1,2,64,100,false,1", "1,3,100,7,true,1", "1,3,5000,5000,false,4",
                "1,2,3,3,false,1", "2,2,64,64,false,1", "2,3,100,7,false,2", "2,3,5000,5000,true,1"})
    void equalsAccumulateThenReduceBitForBit(int stage, int w, long reduce, long gather, boolean prescale,
                                             double predivide) {
        ShardLayout layout = new ShardLayout(LENGTH, w, 2);
        ReductionScaling scaling = new ReductionScaling(prescale, predivide);
        ZeroStep.Buckets buckets = new ZeroStep.Buckets(reduce, gather);
        List<InProcessCollectives> comms = InProcessCollectives.create(w, Duration.ofSeconds(20));
        List<float[][]> out = Ranks.run(comms, comm -> {
            ZeroStep reference = ZeroStep.create(stage, comm, layout, buckets, scaling);
            reference.accumulate(localGradient(layout, comm.rank()));
            ReducedGradient red = reference.reduce();
            float[] want = Arrays.copyOfRange(red.data(), red.offset(), red.offset() + red.length());

            ZeroStep step = ZeroStep.create(stage, comm, layout, buckets, scaling);
            float[] g = Arrays.copyOf(localGradient(layout, comm.rank()), LENGTH); // unpadded, as DL4J's view
            step.reduceInPlace(FloatBuffer.wrap(g));
            long bound = Math.max(Math.max(reduce, gather), 2L * w); // a bucket, at least 2 elements per rank
            assertTrue(step.bufferElements() <= Math.min(bound, layout.paddedLength()), "rank " + comm.rank()
                    + " holds " + step.bufferElements() + " elements of buffers after reduceInPlace; bucket bound "
                    + bound);
            assertEquals(step.bucketElements(), step.bufferElements(), "no accumulator besides the bucket");
            Range r = step.updateRange();
            return new float[][] {want, Arrays.copyOfRange(g, (int) r.offset(), (int) r.end()), g};
        });
        for (int q = 0; q < w; q++) {
            assertArrayEquals(out.get(q)[0], out.get(q)[1], 0f, "rank " + q + ": the reduced update range");
            Range r = stage == 0 ? new Range(0, LENGTH) : layout.ownedRange(q);
            float[] local = localGradient(layout, q);
            for (int i = 0; i < LENGTH; i++) {
                if (i < r.offset() || i >= r.end()) {
                    assertEquals(local[i], out.get(q)[2][i], 0f, "rank " + q + ": element " + i + " outside its range");
                }
            }
        }
        long moved = 0;
        for (InProcessCollectives c : comms) {
            moved += c.stats().of(CollectiveKind.ALL_REDUCE).elements()
                    + c.stats().of(CollectiveKind.REDUCE_SCATTER).elements();
        }
        long psi = stage == 0 ? LENGTH : layout.paddedLength();
        long once = stage == 0 ? 2L * (w - 1) * psi : (w - 1) * psi;
        assertEquals(2 * once, moved, "ring volume: the reference's reduction plus the in-place one, the same each");
    }

    /** The gather after an in-place step stages through the bucket and still delivers every rank's values. */
    @ParameterizedTest(name = "W={0}")
    @CsvSource({"2", "3"})
    void gatherAfterAnInPlaceStepUsesTheBucket(int w) {
        ShardLayout layout = new ShardLayout(LENGTH, w, 2);
        List<InProcessCollectives> comms = InProcessCollectives.create(w, Duration.ofSeconds(20));
        List<float[]> gathered = Ranks.run(comms, comm -> {
            ZeroStep step = ZeroStep.create(1, comm, layout, new ZeroStep.Buckets(60, 40), ReductionScaling.DEFAULT);
            step.reduceInPlace(FloatBuffer.wrap(Arrays.copyOf(localGradient(layout, comm.rank()), LENGTH)));
            assertTrue(step.idleBuffer().length < layout.paddedLength(), "the idle buffer is a bucket");
            float[] params = new float[(int) layout.paddedLength()];
            Range r = step.updateRange();
            for (long i = r.offset(); i < r.end(); i++) {
                params[(int) i] = 1000f + i;
            }
            step.gather(params);
            return params;
        });
        for (float[] p : gathered) {
            for (int i = 0; i < LENGTH; i++) {
                assertEquals(1000f + i, p[i], 0f, "gathered element " + i);
            }
        }
    }

    @Test
    void refusesAShortBufferAndACallInsideAnAccumulation() {
        ShardLayout layout = new ShardLayout(10, 1, 2);
        InProcessCollectives comm = InProcessCollectives.create(1, Duration.ofSeconds(5)).get(0);
        for (int stage = 0; stage <= 2; stage++) {
            ZeroStep step = ZeroStep.create(stage, comm, layout, new ZeroStep.Buckets(4, 4), ReductionScaling.DEFAULT);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> step.reduceInPlace(FloatBuffer.allocate(9)));
            assertTrue(e.getMessage().contains("9 elements") && e.getMessage().contains("10"), e.getMessage());
            step.accumulate(new float[(int) layout.paddedLength()]);
            IllegalStateException s = assertThrows(IllegalStateException.class,
                    () -> step.reduceInPlace(FloatBuffer.allocate(10)));
            assertTrue(s.getMessage().contains("reduce()"), s.getMessage());
        }
    }

    private static float[] localGradient(ShardLayout layout, int rank) {
        Random r = new Random(17L * rank + 5);
        float[] g = new float[(int) layout.paddedLength()];
        for (int i = 0; i < layout.length(); i++) {
            g[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return g;
    }
}
