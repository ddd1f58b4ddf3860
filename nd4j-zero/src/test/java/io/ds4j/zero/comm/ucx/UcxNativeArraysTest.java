package io.ds4j.zero.comm.ucx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;

import io.ds4j.zero.comm.InProcessCollectives;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * UCX collectives on ND4J arrays from and into their own off-heap memory (contiguous FLOAT arrays and contiguous
 * views) give the same bits as the in-process collectives on the same arrays, leave the memory around a view alone,
 * and fall back to the heap path for arrays that are not contiguous. Lengths span several pipeline chunks and an
 * uneven split.
 */
class UcxNativeArraysTest {
    private static final int N = 3;
    private static final int LEN = 6 * OwnerReduce.CHUNK + 1001; // a partial chunk in every segment

    @BeforeAll
    static void ucxLoads() {
        Assumptions.assumeTrue(UcxLibrary.available(), () -> "skipped: " + UcxLibrary.INSTALL_HINT);
    }

    /** Rank r's values: sums whose rounding depends on the order of addition. */
    private static INDArray values(int r, int len) {
        float[] v = new float[len];
        for (int i = 0; i < len; i++) {
            v[i] = (float) (Math.sin(0.1 * i + r) * Math.pow(10, (i + r) % 7 - 3));
        }
        return Nd4j.createFromArray(v);
    }

    /** Runs {@code op} on every rank of a UCX group and of an in-process group, in threads. */
    private static void onBoth(BiConsumer<io.ds4j.zero.comm.Collectives, Integer> op) throws Exception {
        List<UcxCollectives> ucx = UcxGroups.inThisJvm(N, Duration.ofSeconds(60));
        try {
            UcxGroups.onEveryRank(ucx, op);
            UcxGroups.onEveryRank(InProcessCollectives.create(N, Duration.ofSeconds(60)), op);
        } finally {
            UcxGroups.close(ucx);
        }
    }

    @Test
    void errorHandlingModeIsReadAndABadValueNamed() {
        assertEquals(ErrorHandling.CONTROL, ErrorHandling.parse(null));
        assertEquals(ErrorHandling.CONTROL, ErrorHandling.parse(" "));
        assertEquals(ErrorHandling.PEER, ErrorHandling.parse(" peer"));
        assertEquals(ErrorHandling.NONE, ErrorHandling.parse("none"));
        assertEquals(ErrorHandling.CONTROL, ErrorHandling.parse("control"));
        assertEquals("DS4J_UCX_ERROR_HANDLING=fast is not a UCX error handling mode; use control (default: shared"
                + " memory within a host, a lost peer is named at once over a control endpoint), peer (every endpoint"
                + " with UCX's peer error handling: TCP within a host) or none (shared memory, a dead peer is named by"
                + " a failed transfer or the collective timeout)", org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> ErrorHandling.parse("fast")).getMessage());
    }

    @Test
    void onlyContiguousFloatArraysAreSentWhereTheyLie() {
        INDArray whole = Nd4j.zeros(DataType.FLOAT, 3, 8);
        long base = NativeArrays.address(whole);
        assertEquals(base + 4L * 8, NativeArrays.address(whole.getRow(1)), "a row view starts 8 floats in");
        INDArray vector = Nd4j.zeros(DataType.FLOAT, 10);
        assertEquals(NativeArrays.address(vector) + 4L * 3, NativeArrays.address(vector.get(NDArrayIndex.interval(3,
                6))), "an interval of a vector");
        assertEquals(-1, NativeArrays.address(whole.getColumn(1)), "a column is strided");
        assertEquals(-1, NativeArrays.address(Nd4j.zeros(DataType.DOUBLE, 4)));
        assertEquals(-1, NativeArrays.address(Nd4j.zeros(DataType.FLOAT, 3, 8).dup('f')));
    }

    @Test
    void allReduceOfAContiguousViewIsInPlaceAndBitIdentical() throws Exception {
        float[][][] got = new float[2][N][];
        onBoth((c, r) -> {
            INDArray whole = Nd4j.zeros(DataType.FLOAT, 3, LEN).addi(-7f);
            INDArray row = whole.getRow(1); // a view at an offset: its own memory goes to UCX
            row.assign(values(r, LEN));
            c.allReduceSum(row);
            got[c instanceof UcxCollectives ? 0 : 1][r] = whole.ravel().toFloatVector();
        });
        for (int r = 0; r < N; r++) {
            assertArrayEquals(got[1][r], got[0][r], "rank " + r + ": the whole matrix, rows 0 and 2 untouched");
            assertEquals(-7f, got[0][r][0]);
            assertEquals(-7f, got[0][r][3 * LEN - 1]);
        }
    }

    @Test
    void reduceScatterAndAllGatherOnArraysAreBitIdentical() throws Exception {
        int shard = LEN / N + 5;
        float[][][] rs = new float[2][N][];
        float[][][] ag = new float[2][N][];
        onBoth((c, r) -> {
            int k = c instanceof UcxCollectives ? 0 : 1;
            INDArray in = values(r, shard * N);
            INDArray out = Nd4j.zeros(DataType.FLOAT, shard);
            c.reduceScatterSum(in, out);
            rs[k][r] = out.toFloatVector();
            INDArray all = Nd4j.zeros(DataType.FLOAT, shard * N);
            c.allGather(out, all);
            ag[k][r] = all.toFloatVector();
            INDArray strided = Nd4j.zeros(DataType.FLOAT, 4, N * 2).get(NDArrayIndex.all(), NDArrayIndex.point(1));
            strided.assign(values(r, 4)); // not contiguous: goes through the heap
            c.allReduceSum(strided);
        });
        for (int r = 0; r < N; r++) {
            assertArrayEquals(rs[1][r], rs[0][r], "reduce-scatter, rank " + r);
            assertArrayEquals(ag[1][r], ag[0][r], "all-gather, rank " + r);
        }
    }
}
