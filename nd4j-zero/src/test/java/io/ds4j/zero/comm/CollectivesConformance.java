package io.ds4j.zero.comm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conformance suite every {@link Collectives} implementation must pass: extend it and implement
 * {@link #newGroup}. Runs at world sizes 1 to 4 and odd lengths (up to 10,007, beyond one 4096-element chunk).
 * Expected values are computed here independently: sums
 * in rank order 0..N-1 in float (the documented order), so results must match bit for bit.
 */
public abstract class CollectivesConformance {
    /** A new group of {@code worldSize} handles whose collectives wait at most {@code timeout} for a rank. */
    protected abstract List<? extends Collectives> newGroup(int worldSize, Duration timeout);

    static final Duration LONG = Duration.ofMinutes(10);

    static List<int[]> shapes() {
        List<int[]> s = new java.util.ArrayList<>();
        for (int n = 1; n <= 4; n++) {
            for (int len : new int[] {0, 1, 7, 33, 1001, 10_007}) {
                s.add(new int[] {n, len});
            }
        }
        return s;
    }

    /** A value that is not exactly representable in sums, so the summation order matters. */
    static float value(int rank, int i) {
        return (float) Math.sin(1.7 * i + 0.3 * rank + 0.1) * (rank + 1) * 1.37e-1f + 1e-3f * i;
    }

    private <T> List<T> run(int n, Ranks.Body<T> body) {
        return assertTimeoutPreemptively(Duration.ofSeconds(60), () -> Ranks.run(newGroup(n, LONG), body));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void allReduceSumInRankOrderAndIdenticalEverywhere(int[] shape) {
        int n = shape[0], len = shape[1], off = 3;
        List<float[]> out = run(n, c -> {
            float[] a = new float[len + off + 2];
            java.util.Arrays.fill(a, -7f);
            for (int i = 0; i < len; i++) {
                a[off + i] = value(c.rank(), i);
            }
            c.allReduceSum(a, off, len);
            return a;
        });
        for (int r = 0; r < n; r++) {
            float[] a = out.get(r);
            for (int i = 0; i < len; i++) {
                float s = value(0, i);
                for (int q = 1; q < n; q++) {
                    s += value(q, i);
                }
                assertEquals(s, a[off + i], 0f, "rank " + r + " element " + i);
            }
            assertEquals(-7f, a[off - 1]);
            assertEquals(-7f, a[off + len]);
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void ringVolumeOfAllReduceIsTwoNMinusOneTimesLength(int[] shape) {
        int n = shape[0], len = shape[1];
        List<CommStats> stats = run(n, c -> {
            c.allReduceSum(new float[len], 0, len);
            return c.stats();
        });
        CommStats total = stats.stream().reduce(CommStats.empty(), CommStats::plus);
        assertEquals(2L * (n - 1) * len, total.of(CollectiveKind.ALL_REDUCE).elements());
        assertEquals(8L * (n - 1) * len, total.of(CollectiveKind.ALL_REDUCE).bytes());
        assertEquals(n, total.of(CollectiveKind.ALL_REDUCE).calls());
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void ringVolumesOfTheOtherCollectives(int[] shape) {
        int n = shape[0], len = shape[1];
        List<CommStats> stats = run(n, c -> {
            float[] full = new float[n * len];
            c.reduceScatterSum(full, 0, len, new float[len], 0, len);
            c.allGather(new float[len], 0, full, 0, len, len);
            c.broadcast(full, 0, len, 0);
            c.allReduceMax(1.0);
            c.barrier();
            return c.stats();
        });
        for (int r = 0; r < n; r++) {
            CommStats s = stats.get(r);
            // per rank: (N-1) blocks in and out of reduce-scatter and all-gather; the root receives no broadcast
            assertEquals((long) (n - 1) * len, s.of(CollectiveKind.REDUCE_SCATTER).elements());
            assertEquals((long) (n - 1) * len, s.of(CollectiveKind.ALL_GATHER).elements());
            assertEquals(r == 0 ? 0 : len, s.of(CollectiveKind.BROADCAST).elements());
            assertEquals(n - 1, s.of(CollectiveKind.SCALAR_ALL_REDUCE).elements());
            assertEquals(8L * (n - 1), s.of(CollectiveKind.SCALAR_ALL_REDUCE).bytes());
            assertEquals(1, s.of(CollectiveKind.BARRIER).calls());
            assertEquals(0, s.of(CollectiveKind.BARRIER).bytes());
            assertEquals(4L * (2L * (n - 1) * len + (r == 0 ? 0 : len)) + 8L * (n - 1), s.totalBytes());
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void scalarSumAndMax(int[] shape) {
        int n = shape[0];
        List<double[]> out = run(n, c -> new double[] {c.allReduceSum(c.rank() + 0.25),
                c.allReduceMax(c.rank() == n - 1 ? -1 : c.rank() * 2.0),
                c.allReduceMax(c.rank() == 0 ? Double.NaN : 1.0)});
        double sum = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int q = 0; q < n; q++) {
            sum += q + 0.25;
            max = Math.max(max, q == n - 1 ? -1 : q * 2.0);
        }
        for (double[] o : out) {
            assertEquals(sum, o[0], 0.0);
            assertEquals(max, o[1], 0.0);
            assertTrue(Double.isNaN(o[2]), "a NaN on any rank must win the max");
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void reduceScatterContiguousAndInPlace(int[] shape) {
        int n = shape[0], len = shape[1];
        List<float[][]> out = run(n, c -> {
            float[] in = new float[n * len];
            for (int i = 0; i < in.length; i++) {
                in[i] = value(c.rank(), i);
            }
            float[] own = new float[len];
            c.reduceScatterSum(in, 0, len, own, 0, len);
            c.reduceScatterSum(in, 0, len, in, c.rank() * len, len);
            return new float[][] {own, java.util.Arrays.copyOfRange(in, c.rank() * len, (c.rank() + 1) * len)};
        });
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < len; i++) {
                float s = value(0, r * len + i);
                for (int q = 1; q < n; q++) {
                    s += value(q, r * len + i);
                }
                assertEquals(s, out.get(r)[0][i], 0f, "rank " + r + " element " + i);
                assertEquals(s, out.get(r)[1][i], 0f, "in place, rank " + r + " element " + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void stridedReduceScatterThenAllGatherMovesOneBucketOfEveryShard(int[] shape) {
        int n = shape[0], shard = shape[1] + 2, piece = Math.max(1, shard / 3), at = 1;
        List<float[]> out = run(n, c -> {
            float[] flat = new float[n * shard];
            for (int i = 0; i < flat.length; i++) {
                flat[i] = value(c.rank(), i);
            }
            float[] mine = new float[shard];
            c.reduceScatterSum(flat, at, shard, mine, at, piece);
            float[] gathered = new float[n * shard];
            c.allGather(mine, at, gathered, at, shard, piece);
            return gathered;
        });
        for (int r = 0; r < n; r++) {
            for (int q = 0; q < n; q++) {
                for (int i = 0; i < shard; i++) {
                    int idx = q * shard + i;
                    float expect = 0;
                    if (i >= at && i < at + piece) {
                        expect = value(0, idx);
                        for (int p = 1; p < n; p++) {
                            expect += value(p, idx);
                        }
                    }
                    assertEquals(expect, out.get(r)[idx], 0f, "rank " + r + " index " + idx);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void allGatherContiguousAndInPlace(int[] shape) {
        int n = shape[0], len = shape[1];
        List<float[][]> out = run(n, c -> {
            float[] mine = new float[len];
            float[] full = new float[n * len];
            for (int i = 0; i < len; i++) {
                mine[i] = value(c.rank(), i);
                full[c.rank() * len + i] = mine[i];
            }
            float[] gathered = new float[n * len];
            c.allGather(mine, 0, gathered, 0, len, len);
            c.allGather(full, c.rank() * len, full, 0, len, len);
            return new float[][] {gathered, full};
        });
        float[] expect = new float[n * len];
        for (int q = 0; q < n; q++) {
            for (int i = 0; i < len; i++) {
                expect[q * len + i] = value(q, i);
            }
        }
        for (float[][] o : out) {
            assertArrayEquals(expect, o[0]);
            assertArrayEquals(expect, o[1]);
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void broadcastFromEveryRoot(int[] shape) {
        int n = shape[0], len = shape[1];
        for (int root = 0; root < n; root++) {
            int rt = root;
            List<float[]> out = run(n, c -> {
                float[] a = new float[len];
                for (int i = 0; i < len; i++) {
                    a[i] = value(c.rank(), i);
                }
                c.broadcast(a, 0, len, rt);
                return a;
            });
            for (float[] a : out) {
                for (int i = 0; i < len; i++) {
                    assertEquals(value(rt, i), a[i], 0f);
                }
            }
        }
    }

    /**
     * A reduce to each root in turn: the root gets the rank-order sum, bit-identical to the all-reduce of the same
     * vectors (derived here with the all-reduce, an independent collective); a non-root rank sends its vector once.
     */
    @ParameterizedTest
    @MethodSource("shapes")
    void reduceToEveryRootEqualsTheAllReduce(int[] shape) {
        int n = shape[0], len = shape[1];
        for (int root = 0; root < n; root++) {
            int rt = root;
            List<float[][]> out = run(n, c -> {
                float[] a = new float[len];
                for (int i = 0; i < len; i++) {
                    a[i] = value(c.rank(), i);
                }
                float[] b = a.clone();
                CommStats before = c.stats();
                c.reduceSum(a, 0, len, rt);
                long sent = c.stats().minus(before).of(CollectiveKind.REDUCE).elements();
                c.allReduceSum(b, 0, len);
                return new float[][] {a, b, {(float) sent}};
            });
            for (int r = 0; r < n; r++) {
                if (r == rt) {
                    assertArrayEquals(out.get(r)[1], out.get(r)[0], "root " + rt);
                }
                assertEquals(r == rt ? 0f : len, out.get(r)[2][0], "elements sent by rank " + r);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void barrierOrdersWrites(int[] shape) {
        int n = shape[0];
        AtomicIntegerArray flags = new AtomicIntegerArray(n);
        List<Integer> seen = run(n, c -> {
            flags.set(c.rank(), 1);
            c.barrier();
            int s = 0;
            for (int q = 0; q < n; q++) {
                s += flags.get(q);
            }
            return s;
        });
        seen.forEach(s -> assertEquals(n, s));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void failingRankAbortsTheOthersPromptlyNamingRankAndCause(int[] shape) {
        int n = shape[0];
        int bad = n - 1;
        Ranks.RankFailedException e = assertThrows(Ranks.RankFailedException.class,
                // The collective timeout is 10 minutes, so returning within 15 s can only come from the abort
                // (not a wall-time check: generous enough for a loaded 2-core CI machine).
                () -> assertTimeoutPreemptively(Duration.ofSeconds(15), () -> Ranks.run(newGroup(n, LONG), c -> {
                    if (c.rank() == bad) {
                        throw new IllegalStateException("boom on purpose");
                    }
                    c.allReduceSum(new float[5], 0, 5);
                    return null;
                })));
        assertEquals(bad, e.rank());
        assertEquals("boom on purpose", e.getCause().getMessage());
        for (Throwable s : e.getSuppressed()) {
            CollectiveAbortedException a = assertInstanceOf(CollectiveAbortedException.class, s);
            assertEquals(bad, a.failingRank());
            assertEquals("boom on purpose", a.getCause().getMessage());
        }
        assertEquals(n - 1, e.getSuppressed().length, "every other rank learns of the abort");
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void missingRankTimesOutInsteadOfHanging(int[] shape) {
        int n = shape[0];
        if (n == 1) {
            return;
        }
        Ranks.RankFailedException e = assertThrows(Ranks.RankFailedException.class,
                () -> assertTimeoutPreemptively(Duration.ofSeconds(20), () -> Ranks.run(
                        newGroup(n, Duration.ofMillis(200)), c -> {
                            if (c.rank() != 1) {
                                c.barrier();
                            }
                            return null;
                        })));
        CollectiveAbortedException a = assertInstanceOf(CollectiveAbortedException.class, e.getCause());
        assertEquals(1, a.failingRank());
        assertInstanceOf(TimeoutException.class, a.getCause());
    }

    /**
     * The vector sum: every element equal, bit for bit, to the scalar sum of that element (rank order), on every rank;
     * ranks giving different lengths are an error on every rank.
     */
    @ParameterizedTest
    @MethodSource("shapes")
    void vectorSumEqualsTheScalarSumOfEveryElement(int[] shape) {
        int n = shape[0];
        int len = Math.min(shape[1], 64);
        List<double[][]> out = run(n, c -> {
            double[] mine = new double[len];
            for (int i = 0; i < len; i++) {
                mine[i] = value(c.rank(), i) * 1e-3 + Math.PI * c.rank();
            }
            double[] scalar = new double[len];
            for (int i = 0; i < len; i++) {
                scalar[i] = c.allReduceSum(mine[i]);
            }
            return new double[][] {c.allReduceSum(mine), scalar};
        });
        for (double[][] o : out) {
            assertEquals(len, o[0].length);
            for (int i = 0; i < len; i++) {
                double expected = 0;
                for (int q = 0; q < n; q++) {
                    expected += value(q, i) * 1e-3 + Math.PI * q;
                }
                assertEquals(expected, o[0][i], 0.0, "element " + i);
                assertEquals(o[1][i], o[0][i], 0.0, "vector vs scalar, element " + i);
            }
        }
        if (n > 1) {
            Ranks.RankFailedException e = assertThrows(Ranks.RankFailedException.class,
                    () -> assertTimeoutPreemptively(Duration.ofSeconds(20), () -> Ranks.run(newGroup(n, LONG),
                            c -> c.allReduceSum(new double[c.rank() == 0 ? 2 : 3]))));
            assertTrue(e.getCause().getCause().getMessage().contains("different collectives"), e.toString());
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void mismatchedCollectivesAreAnErrorOnEveryRank(int[] shape) {
        int n = shape[0];
        if (n == 1) {
            return;
        }
        Ranks.RankFailedException e = assertThrows(Ranks.RankFailedException.class,
                () -> assertTimeoutPreemptively(Duration.ofSeconds(20), () -> Ranks.run(newGroup(n, LONG), c -> {
                    int len = c.rank() == 0 ? 4 : 5;
                    c.allReduceSum(new float[len], 0, len);
                    return null;
                })));
        assertInstanceOf(IllegalStateException.class, e.getCause().getCause());
        assertTrue(e.getCause().getCause().getMessage().contains("different collectives"));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void afterAnAbortEveryCollectiveThrows(int[] shape) {
        int n = shape[0];
        List<? extends Collectives> g = newGroup(n, LONG);
        g.get(0).abort(new RuntimeException("gone"));
        for (Collectives c : g) {
            CollectiveAbortedException a = assertThrows(CollectiveAbortedException.class, c::barrier);
            assertEquals(0, a.failingRank());
        }
    }
}
