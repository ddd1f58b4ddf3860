package io.ds4j.zero.comm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Runs the conformance suite for {@link InProcessCollectives}, plus its own argument checks and ND4J overloads. */
class InProcessCollectivesTest extends CollectivesConformance {
    @Override
    protected List<? extends Collectives> newGroup(int worldSize, Duration timeout) {
        return InProcessCollectives.create(worldSize, timeout);
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> InProcessCollectives.create(0, LONG));
        assertThrows(IllegalArgumentException.class, () -> InProcessCollectives.create(2, Duration.ZERO));
        Collectives c = InProcessCollectives.create(1, LONG).get(0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.allReduceSum(new float[3], 2, 2));
        assertEquals("rank 0: allReduceSum data range [2, 4) is outside the array of length 3", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.broadcast(new float[1], 0, 1, 1));
    }

    @Test
    void aRankStuckOutsideCollectivesIsLeftBehindNotWaitedFor() {
        java.util.concurrent.atomic.AtomicBoolean release = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            Ranks.RankFailedException e = assertThrows(Ranks.RankFailedException.class,
                    () -> org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(10),
                            () -> Ranks.run(newGroup(2, LONG), c -> {
                                if (c.rank() == 1) {
                                    throw new IllegalStateException("rank 1 fails");
                                }
                                while (!release.get()) {
                                    Thread.onSpinWait(); // ignores interrupts, like user code stuck in a loop
                                }
                                return null;
                            }, Duration.ofMillis(200))));
            assertEquals(1, e.rank());
            assertEquals(1, e.getSuppressed().length);
            assertEquals("rank(s) [0] did not stop within 200 ms of the abort and were left running",
                    e.getSuppressed()[0].getMessage());
        } finally {
            release.set(true);
        }
    }

    @Test
    void nd4jOverloadsWorkOnViewsAndShapes() {
        List<INDArray> out = Ranks.run(newGroup(2, LONG), c -> {
            INDArray m = Nd4j.create(DataType.FLOAT, 3, 4).addi(c.rank() + 1);
            INDArray col = m.getColumn(1);
            c.allReduceSum(col);
            INDArray gathered = Nd4j.create(DataType.FLOAT, 6);
            c.allGather(Nd4j.createFromArray(c.rank() * 1f, c.rank() * 2f, c.rank() * 3f), gathered);
            return Nd4j.concat(0, m.reshape(12), gathered);
        });
        float[] expect = {1, 3, 1, 1, 1, 3, 1, 1, 1, 3, 1, 1, 0, 0, 0, 1, 2, 3};
        float[] expect1 = {2, 3, 2, 2, 2, 3, 2, 2, 2, 3, 2, 2, 0, 0, 0, 1, 2, 3};
        assertArrayEquals(expect, out.get(0).toFloatVector());
        assertArrayEquals(expect1, out.get(1).toFloatVector());
        assertThrows(IllegalArgumentException.class, () -> InProcessCollectives.create(1, LONG).get(0)
                .allReduceSum(Nd4j.create(DataType.DOUBLE, 2)));
    }

    /**
     * A collective's buffers are the caller's: once it returns, the group holds no reference to them (a stage-3 gather
     * buffer of the largest tensor stayed reachable until the next collective, 9 MB of live heap in
     * OffloadStepHostMemoryTest). Checked by reachability: each rank's buffers are weakly referenced after the call,
     * the strong references dropped, and the group handles kept alive.
     */
    @Test
    void aFinishedCollectiveKeepsNoBufferReachable() throws InterruptedException {
        for (int n : new int[] {1, 2, 3}) {
            List<InProcessCollectives> group = InProcessCollectives.create(n, LONG);
            List<java.util.List<java.lang.ref.WeakReference<float[]>>> refs = Ranks.run(group, c -> {
                java.util.List<java.lang.ref.WeakReference<float[]>> mine = new java.util.ArrayList<>();
                float[] a = new float[1 << 16];
                c.allReduceSum(a, 0, a.length);
                mine.add(new java.lang.ref.WeakReference<>(a));
                float[] in = new float[1 << 10];
                float[] out = new float[n << 10];
                c.allGather(in, 0, out, 0, 1 << 10, 1 << 10);
                mine.add(new java.lang.ref.WeakReference<>(in));
                mine.add(new java.lang.ref.WeakReference<>(out));
                float[] rs = new float[n << 10];
                float[] part = new float[1 << 10];
                c.reduceScatterSum(rs, 0, 1 << 10, part, 0, 1 << 10);
                mine.add(new java.lang.ref.WeakReference<>(rs));
                float[] b = new float[1 << 10];
                c.broadcast(b, 0, b.length, 0);
                mine.add(new java.lang.ref.WeakReference<>(b));
                float[] r = new float[1 << 10];
                c.reduceSum(r, 0, r.length, 0);
                mine.add(new java.lang.ref.WeakReference<>(r));
                return mine;
            });
            for (int attempt = 0; attempt < 20 && refs.stream().flatMap(List::stream).anyMatch(w -> w.get() != null);
                 attempt++) {
                System.gc();
                Thread.sleep(20);
            }
            for (int r = 0; r < n; r++) {
                for (int k = 0; k < refs.get(r).size(); k++) {
                    org.junit.jupiter.api.Assertions.assertTrue(refs.get(r).get(k).get() == null, "world " + n + ", rank " + r + ": buffer " + k
                            + " (allReduce, allGather in/out, reduceScatter in, broadcast, reduce) still reachable");
                }
            }
            assertEquals(n, group.size()); // the group stays reachable through the checks above
        }
    }

    /**
     * The native-buffer reduce-scatter sums exactly as the {@code float[]} one of the zero-padded tensor (same rank
     * order, bit for bit), across chunk boundaries, with a tensor that is not a multiple of the world size, and when
     * ranks mix the two forms in one call.
     */
    @Test
    void bufferReduceScatterIsTheZeroPaddedHeapOneBitForBit() {
        for (int n = 1; n <= 3; n++) {
            int numel = 3 * 4096 + 17 + n; // chunks of 4096, a last block shorter than the others
            int length = (numel + n - 1) / n;
            final int world = n;
            List<float[][]> got = Ranks.run(newGroup(n, LONG), c -> {
                java.util.Random rnd = new java.util.Random(31L * c.rank() + world);
                float[] padded = new float[world * length];
                for (int i = 0; i < numel; i++) {
                    padded[i] = (float) rnd.nextGaussian() * (1 + c.rank() * 1e3f);
                }
                java.nio.FloatBuffer direct = java.nio.ByteBuffer.allocateDirect(4 * (numel + 5))
                        .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
                direct.put(padded, 0, numel).put(new float[] {7, 7, 7, 7, 7}); // past numel: never read
                float[] heap = new float[length + 2];
                c.reduceScatterSum(padded, 0, length, heap, 1, length);
                float[] fromBuffer = new float[length];
                ((BufferCollectives) c).reduceScatterSum(direct, numel, fromBuffer, 0, length);
                float[] mixed = new float[length];
                if (c.rank() == 0) {
                    c.reduceScatterSum(padded, 0, length, mixed, 0, length);
                } else {
                    ((BufferCollectives) c).reduceScatterSum(direct, numel, mixed, 0, length);
                }
                return new float[][] {java.util.Arrays.copyOfRange(heap, 1, length + 1), fromBuffer, mixed};
            });
            for (int r = 0; r < n; r++) {
                float[][] g = got.get(r);
                assertArrayEquals(g[0], g[1], 0f, "world " + n + " rank " + r + ": buffer form");
                assertArrayEquals(g[0], g[2], 0f, "world " + n + " rank " + r + ": mixed forms");
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ((BufferCollectives)
                newGroup(1, LONG).get(0)).reduceScatterSum(java.nio.FloatBuffer.allocate(4), 5, new float[5], 0, 5));
        assertEquals("rank 0: reduceScatterSum of 5 elements from a buffer of 4 into 1 blocks of 5", e.getMessage());
    }

    /**
     * The ND4J overloads on contiguous FLOAT arrays work in the arrays' own memory: bit-identical to the {@code float[]}
     * forms (rank-order sums), while a rank on the heap form joins the same call, and without a heap copy of the
     * vector: each rank's thread allocates under a tenth of the vector's bytes per call (the interface's defaults copy
     * it at least twice, 8 B per element).
     */
    @Test
    void nd4jOverloadsOnContiguousArraysWorkInPlaceBitForBit() {
        int n = 3;
        int len = 3 * (1 << 18) + 3; // 786,435 elements per rank, chunk edges inside
        int part = len / n;
        List<Object[]> got = Ranks.run(newGroup(n, LONG), c -> {
            java.util.Random rnd = new java.util.Random(17 + c.rank());
            float[] v = new float[len];
            for (int i = 0; i < len; i++) {
                v[i] = (float) rnd.nextGaussian() * (1 + 1e3f * c.rank());
            }
            float[] heap = v.clone();
            c.allReduceSum(heap, 0, len);
            float[] shardHeap = new float[part];
            c.reduceScatterSum(v, 0, part, shardHeap, 0, part);
            INDArray a = Nd4j.createFromArray(v).reshape(3, part); // C order, reduced in place
            INDArray flatInput = Nd4j.createFromArray(v);
            INDArray shard = Nd4j.create(DataType.FLOAT, part);
            INDArray gathered = Nd4j.create(DataType.FLOAT, len);
            long[] bytes = new long[4];
            long before = allocated();
            if (c.rank() == 1) {
                c.allReduceSum(v, 0, len); // the heap form in the same call
            } else {
                c.allReduceSum(a);
            }
            bytes[0] = allocated() - before;
            before = allocated();
            c.reduceScatterSum(flatInput, shard);
            bytes[1] = allocated() - before;
            before = allocated();
            c.allGather(shard, gathered);
            bytes[2] = allocated() - before;
            float[] shardNative = shard.toFloatVector();
            before = allocated();
            c.broadcast(shard, 2);
            bytes[3] = allocated() - before;
            float[] reduced = c.rank() == 1 ? v : a.reshape(len).toFloatVector();
            return new Object[] {heap, reduced, shardHeap, shardNative, gathered.toFloatVector(),
                    shard.toFloatVector(), bytes};
        });
        for (int r = 0; r < n; r++) {
            Object[] g = got.get(r);
            assertArrayEquals((float[]) g[0], (float[]) g[1], 0f, "all-reduce, rank " + r);
            assertArrayEquals((float[]) g[2], (float[]) g[3], 0f, "reduce-scatter, rank " + r);
            for (int q = 0; q < n; q++) {
                assertArrayEquals((float[]) got.get(q)[2], java.util.Arrays.copyOfRange((float[]) g[4], q * part,
                        (q + 1) * part), 0f, "all-gather block " + q + " on rank " + r);
            }
            assertArrayEquals((float[]) got.get(2)[3], (float[]) g[5], 0f, "broadcast from rank 2 to rank " + r);
            long[] bytes = (long[]) g[6];
            for (int k = r == 1 ? 1 : 0; k < bytes.length; k++) {
                org.junit.jupiter.api.Assertions.assertTrue(bytes[k] < len * 4L / 10, "rank " + r + ", collective "
                        + k + ": allocated " + bytes[k] + " B of heap for a vector of " + 4L * len + " B");
            }
        }
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
                .getCurrentThreadAllocatedBytes();
    }
}
