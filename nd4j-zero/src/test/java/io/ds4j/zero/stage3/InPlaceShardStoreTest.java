package io.ds4j.zero.stage3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.config.OffloadParamConfig;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A shard kept in place in another array's memory ({@link MasterShardStore#inPlace}): reads and writes go to the
 * view's elements, at its offset in the shared buffer, and nowhere else; the padding reads as zero and writes to it
 * are dropped; the ledger enters the view's bytes on the tier given; nothing but a contiguous FLOAT vector is taken.
 */
class InPlaceShardStoreTest {

    /** A 20-element "network" vector 0, 1, ..., 19. */
    private static INDArray network() {
        float[] v = new float[20];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        return Nd4j.createFromArray(v);
    }

    @Test
    void readsAndWritesTheViewsElementsAtItsOffset() {
        INDArray net = network();
        INDArray view = net.get(NDArrayIndex.interval(5, 9)); // elements 5..8, offset 5 in the buffer
        MemoryLedger ledger = new MemoryLedger(0);
        MasterShardStore s = MasterShardStore.inPlace(6, view, ledger, MemoryTier.DEVICE, "t");
        assertEquals(6, s.length());
        float[] out = new float[6];
        s.read(out);
        assertArrayEquals(new float[] {5, 6, 7, 8, 0, 0}, out, "owned elements, then the padding as zero");
        FloatBuffer nio = FloatBuffer.allocate(8);
        s.read(1, nio, 2, 4);
        assertArrayEquals(new float[] {0, 0, 6, 7, 8, 0, 0, 0}, nio.array());

        s.write(1, new float[] {-1, -2, -3, -4}, 0, 4); // two owned elements and two of padding
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, -1, -2, -3, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19},
                net.toFloatVector(), "the network's elements 6..8 changed, nothing else");
        assertEquals(16, ledger.snapshot().peakBytes(MemoryCategory.PARAMETERS, MemoryTier.DEVICE),
                "the view's 4 elements, 4 B each");
        assertSame(view, s.owned(), "the optimizer steps the view itself");
        s.close();
        assertEquals(0, ledger.snapshot().bytes(MemoryCategory.PARAMETERS, MemoryTier.DEVICE));
        assertEquals(5f, net.getFloat(5), "closing frees nothing of the network's");
    }

    @Test
    void aRankOwningNoneHoldsOnlyPadding() {
        MemoryLedger ledger = new MemoryLedger(0);
        MasterShardStore s = MasterShardStore.inPlace(3, null, ledger, MemoryTier.HOST, "t");
        float[] out = {9, 9, 9};
        s.read(out);
        assertArrayEquals(new float[3], out);
        assertEquals(0, ledger.snapshot().peakBytes(MemoryCategory.PARAMETERS, MemoryTier.HOST));
    }

    @Test
    void onlyAContiguousFloatVectorIsTaken() {
        MemoryLedger ledger = new MemoryLedger(0);
        INDArray strided = Nd4j.create(DataType.FLOAT, 4, 4).getColumn(1);
        assertThrows(IllegalArgumentException.class,
                () -> MasterShardStore.inPlace(4, strided, ledger, MemoryTier.DEVICE, "t"));
        assertThrows(IllegalArgumentException.class,
                () -> MasterShardStore.inPlace(4, Nd4j.create(DataType.HALF, 4), ledger, MemoryTier.DEVICE, "t"));
        assertThrows(IllegalArgumentException.class,
                () -> MasterShardStore.inPlace(3, network(), ledger, MemoryTier.DEVICE, "t"), "longer than the shard");
    }

    /** The home allows it in fp32 without offload (entered on the device) and with cpu (on the host). */
    @Test
    void theHomeSaysWhereItApplies() {
        MemoryLedger ledger = new MemoryLedger(0);
        ParamHome none = ParamHome.device();
        assertTrue(none.allowsInPlace());
        ShardStore s = none.storeInPlace(2, network().get(NDArrayIndex.interval(0, 2)), ledger, "a");
        assertEquals(MemoryTier.DEVICE, ((MasterShardStore) s).tier());
        ParamHome cpu = ParamHome.of(OffloadParamConfig.onDevice(io.ds4j.zero.config.OffloadDevice.CPU), 0, 8);
        ShardStore h = cpu.storeInPlace(2, network().get(NDArrayIndex.interval(0, 2)), ledger, "b");
        assertEquals(MemoryTier.HOST, ((MasterShardStore) h).tier());
        assertEquals(8, ledger.snapshot().peakBytes(MemoryCategory.PARAMETERS, MemoryTier.HOST));
    }
}
