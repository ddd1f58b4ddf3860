package io.ds4j.zero.stage3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.comm.CollectiveKind;
import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.comm.CommStats;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.comm.Ranks;
import io.ds4j.zero.config.ZeroStage3Config;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Gather/prefetch/release scheduling with DeepSpeed's knob semantics, volumes and ledger peaks. */
class ParamCoordinatorTest {
    private static final Duration LONG = Duration.ofSeconds(30);
    private static final int[][] SIZES = {{12, 3}, {40, 5}, {7}, {25, 1}};

    /** Runs {@code steps} steps on every rank; per step every parameter's gradient is reduce-scattered once. */
    private static List<long[]> run(int world, ZeroStage3Config knobs, int steps) {
        return Ranks.run(InProcessCollectives.create(world, LONG), c -> {
            MemoryLedger ledger = new MemoryLedger(c.rank());
            ToyModel m = new ToyModel(SIZES, c, ledger);
            ParamCoordinator pc = m.coordinator(c, knobs);
            CommStats before = c.stats();
            for (int s = 0; s < steps; s++) {
                for (ModuleParams mod : m.trace) {
                    pc.fetch(mod.id());
                    for (PartitionedParam p : mod.params()) {
                        assertArrayEquals(ToyModel.fullValues(p.spec()), Arrays.copyOf(p.full(), p.spec().numel()));
                    }
                    pc.release(mod.id());
                }
                pc.endStep();
                for (PartitionedParam p : m.params) {
                    p.reduceScatter(c, new float[(int) p.layout().paddedLength()], new float[p.store().length()]);
                }
            }
            CommStats d = c.stats().minus(before);
            long[] gathers = m.params.stream().mapToLong(pc::gathersLastStep).toArray();
            long[] out = Arrays.copyOf(gathers, gathers.length + 4);
            out[gathers.length] = d.of(CollectiveKind.ALL_GATHER).elements();
            out[gathers.length + 1] = d.of(CollectiveKind.REDUCE_SCATTER).elements();
            out[gathers.length + 2] = pc.peakLiveParameters();
            out[gathers.length + 3] = ledger.snapshot().peakBytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE);
            return out;
        });
    }

    private static long sumShards(int world) {
        long s = 0;
        for (int[] mod : SIZES) {
            for (int n : mod) {
                s += (n + world - 1) / world; // shard length ceil(n / N)
            }
        }
        return s;
    }

    @Test
    void plainScheduleMovesThreePsiPerStep() {
        int world = 3;
        int steps = 2;
        List<long[]> out = run(world, ToyModel.knobs(0, 0, 1_000_000_000L, 0), steps);
        int np = 7;
        for (long[] r : out) {
            for (int i = 0; i < np; i++) {
                assertEquals(2, r[i], "forward + backward gather of parameter " + i);
            }
            // ZeRO paper §7: per rank per step, 2 all-gathers (N-1)/N Ψ + 1 reduce-scatter (N-1)/N Ψ = 3Ψ(N-1)/N
            long perCollective = (world - 1) * sumShards(world);
            assertEquals(2 * perCollective * steps, r[np]);
            assertEquals(perCollective * steps, r[np + 1]);
            assertEquals(3 * perCollective, Stage3Volume.threePsi(specs(), world));
            // nothing prefetched, nothing retained: peak live = the largest module, 45 elements
            assertEquals(45, r[np + 2]);
            // its buffers are padded to a multiple of 3: 42 + 6 floats
            assertEquals(4 * (42 + 6), r[np + 3]);
        }
    }

    private static List<ParamSpec> specs() {
        List<ParamSpec> out = new java.util.ArrayList<>();
        for (int[] mod : SIZES) {
            for (int n : mod) {
                out.add(new ParamSpec(out.size(), "p" + out.size(), n));
            }
        }
        return out;
    }

    @Test
    void deepSpeedDefaultsKeepSmallParamsPersistentAndReuseWithinDistance() {
        // DeepSpeed's defaults: every tensor here is under the 1e5 persistence threshold, so nothing is gathered per
        // module; each parameter is all-gathered once at setup
        int world = 2;
        List<long[]> out = run(world, ZeroStage3Config.defaults(), 1);
        for (long[] r : out) {
            for (int i = 0; i < 7; i++) {
                assertEquals(0, r[i]);
            }
            assertEquals(0, r[9]);
            assertEquals(0, r[10]);
        }
    }

    @Test
    void reuseDistanceKeepsTheTurningModuleGathered() {
        // trace m0 m1 m2 m3 | m3 m2 m1 m0; after forward m3 the next trace step (backward m3) reuses it at distance 0
        // < 26, so it stays; after forward m2 the scan passes m3 (26 elements) and stops: 26 >= 26, m2 is released
        int world = 2;
        List<long[]> out = run(world, ToyModel.knobs(0, 0, 1_000_000_000L, 26), 1);
        long[] expect = {2, 2, 2, 2, 2, 1, 1};
        for (long[] r : out) {
            assertArrayEquals(expect, Arrays.copyOf(r, 7));
            long gathered = 0;
            for (int i = 0; i < 7; i++) {
                gathered += expect[i] * ((specs().get(i).numel() + 1) / 2);
            }
            assertEquals(gathered, r[7]);
            assertEquals(Stage3Volume.perStep(specs(), Arrays.stream(expect).mapToInt(x -> (int) x).toArray(),
                    world), r[7] + r[8]);
        }
    }

    @Test
    void prefetchTakesTraceOrderUpToTheBucketAndStopsAtMaxLive() {
        int[][] four = {{10}, {10}, {10}, {10}};
        assertEquals(30, liveAfterFirstFetch(four, ToyModel.knobs(15, 0, 1_000, 0))); // 10 + (10, 10: 20 >= 15)
        assertEquals(20, liveAfterFirstFetch(four, ToyModel.knobs(15, 0, 15, 0))); // budget min(15-10, 15) = 5
        assertEquals(10, liveAfterFirstFetch(four, ToyModel.knobs(15, 0, 10, 0))); // budget 0
        assertEquals(10, liveAfterFirstFetch(four, ToyModel.knobs(0, 0, 1_000, 0))); // prefetch off
    }

    private static long liveAfterFirstFetch(int[][] sizes, ZeroStage3Config knobs) {
        Collectives c = InProcessCollectives.create(1, LONG).get(0);
        ToyModel m = new ToyModel(sizes, c, new MemoryLedger(0));
        ParamCoordinator pc = m.coordinator(c, knobs);
        pc.fetch(0);
        return pc.liveParameters();
    }

    @Test
    void outOfOrderCallsThrowNamingTheExpectedModule() {
        Collectives c = InProcessCollectives.create(1, LONG).get(0);
        ToyModel m = new ToyModel(SIZES, c, new MemoryLedger(0));
        ParamCoordinator pc = m.coordinator(c, ToyModel.knobs(0, 0, 100, 0));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pc.fetch(2));
        assertEquals("fetch of module 2 out of trace order: position 0 expects module 0", e.getMessage());
        pc.fetch(0);
        assertThrows(IllegalStateException.class, () -> pc.release(1));
        assertThrows(IllegalStateException.class, pc::endStep);
        assertTrue(pc.position() == 1);
    }
}
