package io.ds4j.zero.comm.ucx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.comm.InProcessCollectives;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The UCX collectives' native staging is bounded by its budget whatever the world size and the vector length: vectors
 * several times the budget go through it chunk by chunk, and with fewer contribution slots than peers the rank-order
 * sum is folded in steps; every result is bit-identical to {@link InProcessCollectives}.
 */
class UcxStagingTest {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @BeforeAll
    static void ucxLoads() {
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "skipped: " + UcxLibrary.INSTALL_HINT);
    }

    /** Rank r's values: sums whose rounding depends on the order of addition. */
    private static float[] values(int r, int len) {
        float[] v = new float[len];
        for (int i = 0; i < len; i++) {
            v[i] = (float) (Math.sin(0.37 * i + r) * Math.pow(10, (i + 2 * r) % 7 - 3));
        }
        return v;
    }

    /** Bytes of the JVM's direct buffers now (where the staging slots live), as the JVM itself counts them. */
    private static long directBytes() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream().filter(b -> b.getName().equals(
                "direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
    }

    /** {@link #directBytes()} once the earlier tests' unreachable direct buffers are freed (collected, cleaned). */
    private static long settledDirectBytes() throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 50; i++) {
            System.gc();
            Thread.sleep(100);
            long now = directBytes();
            if (now == last) {
                return now;
            }
            last = now;
        }
        return last;
    }

    /**
     * Every rank's result of {@code op}, on a UCX group (slots of the given size) and on an in-process group;
     * {@code staged[r]} is what rank r's staging says it holds, {@code staged[n]} how much the JVM's direct buffers grew
     * while the UCX group ran (all ranks: they are threads of this JVM).
     */
    private static float[][][] onBoth(int n, int slots, int slotFloats, BiConsumer<Collectives, float[][]> op,
            long[] staged) throws Exception {
        float[][][] got = new float[2][n][];
        long direct = directBytes();
        List<UcxCollectives> ucx = UcxGroups.inThisJvm(n, WAIT, slots, slotFloats);
        try {
            UcxGroups.onEveryRank(ucx, (c, r) -> op.accept(c, got[0]));
            staged[n] = directBytes() - direct;
            for (int r = 0; r < n; r++) {
                staged[r] = ucx.get(r).stagingBytes();
                assertTrue(staged[r] <= ucx.get(r).stagingBudget() + 1024, "rank " + r + " holds " + staged[r]
                        + " bytes of staging, over its budget of " + ucx.get(r).stagingBudget());
            }
        } finally {
            UcxGroups.close(ucx);
        }
        UcxGroups.onEveryRank(InProcessCollectives.create(n, WAIT), (c, r) -> op.accept(c, got[1]));
        return got;
    }

    /** Every collective on 4 ranks through 2 slots of 1000 floats: many chunks, sums folded in steps. */
    @Test
    void everyCollectiveThroughTwoSmallSlotsIsBitIdentical() throws Exception {
        int n = 4;
        int len = 10_007;
        float[][][] got = onBoth(n, 2, 1000, (c, out) -> {
            int r = c.rank();
            float[] all = values(r, len);
            c.allReduceSum(all, 0, len);
            int shard = len / n + 3;
            float[] in = values(r, shard * n + 11);
            float[] rs = new float[shard];
            c.reduceScatterSum(in, 5, shard + 1, rs, 0, shard - 1); // strided, a shorter shard
            float[] inPlace = values(r, shard * n);
            c.reduceScatterSum(inPlace, 0, shard, inPlace, r * shard, shard);
            float[] gathered = new float[shard * n + 7];
            c.allGather(rs, 0, gathered, 7, shard, shard);
            float[] bc = values(r, len);
            c.broadcast(bc, 0, len, 2);
            float[] red = values(r, len);
            c.reduceSum(red, 0, len, 3);
            INDArray a = Nd4j.createFromArray(values(r, len));
            c.allReduceSum(a);
            INDArray s = Nd4j.zeros(DataType.FLOAT, shard);
            INDArray v = Nd4j.createFromArray(values(r, shard * n));
            c.reduceScatterSum(v, s);
            INDArray g = Nd4j.zeros(DataType.FLOAT, shard * n);
            c.allGather(s, g);
            out[r] = concat(all, rs, inPlace, gathered, bc, r == 3 ? red : new float[0], a.toFloatVector(),
                    g.toFloatVector());
        }, new long[n + 1]);
        for (int r = 0; r < n; r++) {
            assertArrayEquals(got[1][r], got[0][r], "rank " + r);
        }
    }

    /**
     * A 48 MiB vector over 3 ranks with the default 16 MiB budget: before the slots, the {@code float[]} all-reduce
     * staged the whole vector (48 MiB) and the owner received (N-1) blocks (32 MiB). Checked both by what each rank's
     * staging says it holds and by the JVM's own count of its direct buffers, which grew by 240 MiB (80 per rank) in
     * this run before the slots and may grow by at most the 3 budgets now (plus 1 MiB per rank for small buffers).
     */
    @Test
    void aVectorThreeTimesTheBudgetLeavesTheStagingWithinIt() throws Exception {
        int n = 3;
        int len = 12 << 20;
        long[] staged = new long[n + 1];
        float[][][] got = onBoth(n, Staging.slotsFor(null), OwnerReduce.CHUNK, (c, out) -> {
            float[] all = new float[len];
            for (int i = 0; i < len; i++) {
                all[i] = (i % 1013) * 1.37e-3f + (c.rank() + 1) * 0.1f * (i % 7);
            }
            INDArray a = Nd4j.createFromArray(all);
            c.allReduceSum(all, 0, len);
            c.allReduceSum(a);
            out[c.rank()] = concat(Arrays.copyOf(all, 4096), a.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(
                    len - 4096, len)).toFloatVector());
            assertArrayEquals(all, a.toFloatVector(), "both paths, rank " + c.rank());
        }, staged);
        for (int r = 0; r < n; r++) {
            assertArrayEquals(got[1][r], got[0][r], "rank " + r);
            assertTrue(staged[r] <= (16L << 20) + 1024, "rank " + r + ": " + staged[r]);
        }
        assertTrue(staged[n] <= n * (17L << 20), "the direct buffers of 3 ranks grew by " + staged[n] + " bytes");
    }

    /**
     * A ledger given to the collectives records each staging buffer as it is allocated (COMM_BUFFERS, host): what it
     * holds equals what the JVM's own count of direct buffers grew by while the 3 ranks ran (within 1 MiB per rank for
     * the connections' own buffers), and the entries are released at close.
     */
    @Test
    void aLedgerHoldsTheStagingAsTheJvmCountsItAndLosesItAtClose() throws Exception {
        int n = 3;
        int len = 6 << 20;
        List<io.ds4j.zero.ledger.MemoryLedger> ledgers = new java.util.ArrayList<>();
        long direct = settledDirectBytes();
        List<UcxCollectives> ucx = UcxGroups.inThisJvm(n, WAIT, Staging.slotsFor(null), OwnerReduce.CHUNK);
        long recorded = 0;
        try {
            for (UcxCollectives c : ucx) {
                io.ds4j.zero.ledger.MemoryLedger l = new io.ds4j.zero.ledger.MemoryLedger(c.rank());
                c.accountIn(l);
                ledgers.add(l);
            }
            UcxGroups.onEveryRank(ucx, (c, r) -> c.allReduceSum(values(r, len), 0, len));
            long grew = directBytes() - direct;
            for (int r = 0; r < n; r++) {
                long held = ledgers.get(r).snapshot().bytes(io.ds4j.zero.ledger.MemoryCategory.COMM_BUFFERS,
                        io.ds4j.zero.ledger.MemoryTier.HOST);
                assertEquals(ucx.get(r).stagingBytes(), held, "rank " + r + "'s ledger against its staging");
                assertTrue(held >= 8L << 20, "rank " + r + " staged a 24 MiB vector in " + held + " bytes");
                recorded += held;
            }
            assertTrue(Math.abs(grew - recorded) <= n * (1L << 20), "the JVM's direct buffers grew by " + grew
                    + " bytes, the ledgers hold " + recorded);
        } finally {
            UcxGroups.close(ucx);
        }
        for (io.ds4j.zero.ledger.MemoryLedger l : ledgers) {
            assertEquals(0, l.snapshot().bytes(io.ds4j.zero.ledger.MemoryCategory.COMM_BUFFERS,
                    io.ds4j.zero.ledger.MemoryTier.HOST), "released at close");
        }
    }

    @Test
    void theBudgetIsReadAndABadOneNamed() {
        assertEquals(16, Staging.slotsFor(null));
        assertEquals(16, Staging.slotsFor(" "));
        assertEquals(64, Staging.slotsFor("64M"));
        assertEquals(1024, Staging.slotsFor("1g"));
        assertEquals(8, Staging.slotsFor(Long.toString(8L << 20)));
        for (String bad : List.of("4M", "lots", "-16M", "16MB")) {
            String m = assertThrows(IllegalArgumentException.class, () -> Staging.slotsFor(bad)).getMessage();
            assertTrue(m.startsWith("DS4J_UCX_STAGING=" + bad + " is not a UCX staging budget;") && m.contains(
                    "at least 5M"), m);
        }
    }

    private static float[] concat(float[]... parts) {
        int total = 0;
        for (float[] p : parts) {
            total += p.length;
        }
        float[] out = new float[total];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
