package io.ds4j.zero.step;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.comm.CollectiveKind;
import io.ds4j.zero.comm.CommStats;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.comm.Ranks;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The stages' reduction and gathering against a double-precision reference: after {@code gas} micro-batches the
 * reduced gradient of the update range is {@code (1/W) sum_r sum_m g[r][m]} (DeepSpeed's average over ranks of the
 * accumulated gradients). Tolerance: a float sum of at most W*gas terms of magnitude <= 1, plus float scaling, is
 * within 1e-5 absolute of the double reference.
 */
class ZeroStepTest {

    private static final int LENGTH = 23; // odd: padding exercised for W = 2 and 3

    @ParameterizedTest(name = "stage {0}, W={1}, gas={2}, prescale={3}, predivide={4}")
    @CsvSource({"0,1,1,false,1", "0,2,4,false,1", "0,3,1,true,1", "0,3,4,false,2",
                "1,1,1,false,1", "1,2,1,false,1", "1,3,4,false,1", "1,3,1,true,1", "1,2,4,false,4",
                "2,1,4,false,1", "2,2,1,false,1", "2,3,4,false,1", "2,3,4,true,1", "2,2,1,false,2"})
    void reducesToTheMeanOverRanksAndGathersEveryShard(int stage, int w, int gas, boolean prescale, double pre) {
        ShardLayout layout = new ShardLayout(LENGTH, w, 2);
        ReductionScaling scaling = new ReductionScaling(prescale, pre);
        ZeroStep.Buckets buckets = new ZeroStep.Buckets(5, 7); // small: several buckets per shard
        double[] mean = new double[LENGTH];
        for (int r = 0; r < w; r++) {
            for (int m = 0; m < gas; m++) {
                float[] g = localGradient(layout, r, m);
                for (int i = 0; i < LENGTH; i++) {
                    mean[i] += g[i] / (double) w;
                }
            }
        }
        List<InProcessCollectives> comms = InProcessCollectives.create(w, Duration.ofSeconds(20));
        List<float[]> gathered = Ranks.run(comms, comm -> {
            ZeroStep step = ZeroStep.create(stage, comm, layout, buckets, scaling);
            for (int m = 0; m < gas; m++) {
                step.accumulate(localGradient(layout, comm.rank(), m));
            }
            ReducedGradient red = step.reduce();
            Range range = step.updateRange();
            assertEquals(range.length(), red.length());
            float[] params = new float[(int) layout.paddedLength()];
            for (int k = 0; k < red.length(); k++) {
                long flat = range.offset() + k;
                assertEquals(mean[(int) flat], red.data()[red.offset() + k], 1e-5, "rank " + comm.rank() + " @" + flat);
                params[(int) flat] = 1000f + flat; // "updated" value that only the owner knows
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

    /**
     * Ring volume per step, summed over ranks, with gas = 1: stage 0 all-reduces Psi elements (2(N-1)Psi); stages 1
     * and 2 reduce-scatter and all-gather the padded vector ((N-1)Psi' each, Psi' = padded length): the ZeRO paper's
     * 2Psi per rank.
     */
    @ParameterizedTest(name = "stage {0}, W={1}")
    @CsvSource({"0,2", "0,3", "1,2", "1,3", "2,2", "2,3"})
    void movesTwoPsiPerStep(int stage, int w) {
        ShardLayout layout = new ShardLayout(LENGTH, w, 2);
        List<InProcessCollectives> comms = InProcessCollectives.create(w, Duration.ofSeconds(20));
        Ranks.run(comms, comm -> {
            ZeroStep step = ZeroStep.create(stage, comm, layout, new ZeroStep.Buckets(4, 6), ReductionScaling.DEFAULT);
            step.accumulate(localGradient(layout, comm.rank(), 0));
            step.reduce();
            step.gather(new float[(int) layout.paddedLength()]);
            return null;
        });
        CommStats total = CommStats.empty();
        for (InProcessCollectives c : comms) {
            total = total.plus(c.stats());
        }
        long psi = stage == 0 ? LENGTH : layout.paddedLength();
        long moved = total.of(CollectiveKind.ALL_REDUCE).elements() + total.of(CollectiveKind.REDUCE_SCATTER).elements()
                + total.of(CollectiveKind.ALL_GATHER).elements();
        assertEquals(2L * (w - 1) * psi, moved);
    }

    @Test
    void rejectsAStageWithoutAStepNamingTheKey() {
        List<InProcessCollectives> comms = InProcessCollectives.create(1, Duration.ofSeconds(5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ZeroStep.create(3,
                comms.get(0), ShardLayout.of(4, 1), new ZeroStep.Buckets(8, 8), ReductionScaling.DEFAULT));
        assertTrue(e.getMessage().contains("zero_optimization.stage: 3"), e.getMessage());
    }

    @Test
    void clippingFactorIsDeepSpeeds() {
        GradientClipping c = new GradientClipping(1.0);
        assertEquals(1.0, c.multiplier(0.5), 0.0);
        assertEquals(1.0 / ((4.0 + 1e-6) / 1.0), c.multiplier(4.0), 0.0); // (norm + 1e-6) / clip > 1 -> scaled
        assertEquals(1.0 / (1.0 + 1e-6), c.multiplier(1.0), 0.0);         // at the limit the epsilon still scales
        assertEquals(1.0, GradientClipping.NONE.multiplier(1e9), 0.0);
        assertThrows(IllegalArgumentException.class, () -> new GradientClipping(-1));
        assertTrue(Double.isNaN(c.multiplier(Double.NaN)));           // a NaN gradient is not silently kept
        assertEquals(0.0, c.multiplier(Double.POSITIVE_INFINITY), 0.0);
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
