package io.ds4j.zero.stage3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.comm.Ranks;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The SHARDED/GATHERED state machine, gather and reduce-scatter of one parameter, and its ledger entries. */
class PartitionedParamTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void illegalTransitionsThrowNamingTheParameterAndState() {
        Collectives c = InProcessCollectives.create(1, LONG).get(0);
        TransientBuffers b = new TransientBuffers(new MemoryLedger(0));
        PartitionedParam p = new PartitionedParam(new ParamSpec(0, "dense W", 6), c, b.ledger());
        IllegalParamStateException e = assertThrows(IllegalParamStateException.class, () -> p.release(b));
        assertEquals("parameter 'dense W' is SHARDED; cannot release (gather it first)", e.getMessage());
        assertThrows(IllegalParamStateException.class, p::full);
        p.gather(c, b);
        e = assertThrows(IllegalParamStateException.class, () -> p.gather(c, b));
        assertTrue(e.getMessage().startsWith("parameter 'dense W' is GATHERED; cannot gather"), e.getMessage());
        assertThrows(IllegalParamStateException.class, p::markPersistent);
        assertThrows(IllegalParamStateException.class, () -> p.refresh(c));
        p.release(b);
        assertEquals(ParamState.SHARDED, p.state());
    }

    @Test
    void persistentParameterStaysGatheredAndRefreshes() {
        Collectives c = InProcessCollectives.create(1, LONG).get(0);
        TransientBuffers b = new TransientBuffers(new MemoryLedger(0));
        PartitionedParam p = new PartitionedParam(new ParamSpec(0, "b", 3), c, b.ledger());
        p.markPersistent();
        p.gather(c, b);
        assertThrows(IllegalParamStateException.class, () -> p.release(b));
        p.store().write(new float[] {0f, 5f, 0f});
        p.refresh(c);
        assertEquals(5f, p.full()[1]);
        // persistent full copies are parameters, not transient buffers
        assertEquals(0, b.peakTransientBytes());
        assertEquals(2 * 12, b.ledger().snapshot().bytes(MemoryCategory.PARAMETERS, MemoryTier.DEVICE));
    }

    @Test
    void gatherRebuildsTheTensorAndReduceScatterSumsShardsOnThreeRanks() {
        int n = 10; // shards of ceil(10/3) = 4, padded length 12
        ParamSpec spec = new ParamSpec(2, "W", n);
        float[] full = ToyModel.fullValues(spec);
        List<float[][]> out = Ranks.run(InProcessCollectives.create(3, LONG), c -> {
            MemoryLedger ledger = new MemoryLedger(c.rank());
            TransientBuffers b = new TransientBuffers(ledger);
            PartitionedParam p = new PartitionedParam(spec, c, ledger);
            p.loadShard(full, 0);
            p.gather(c, b);
            float[] gathered = Arrays.copyOf(p.full(), n);
            assertEquals(4 * 12, b.transientBytes());
            p.release(b);
            assertEquals(0, b.transientBytes());
            float[] grad = new float[12];
            Arrays.fill(grad, 0, n, c.rank() + 1f); // rank r contributes r+1 to every element
            float[] shardGrad = new float[4];
            p.reduceScatter(c, grad, shardGrad);
            assertEquals(4 * 4, ledger.snapshot().bytes(MemoryCategory.PARAMETERS, MemoryTier.DEVICE));
            return new float[][] {gathered, shardGrad};
        });
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(full, out.get(r)[0]);
            float[] expect = new float[4];
            for (int i = 0; i < 4; i++) {
                expect[i] = r * 4 + i < n ? 1 + 2 + 3 : 0; // padding stays zero
            }
            assertArrayEquals(expect, out.get(r)[1]);
        }
    }

    @Test
    void persistenceFollowsBothThresholds() {
        Collectives c = InProcessCollectives.create(1, LONG).get(0);
        ToyModel m = new ToyModel(new int[][] {{50, 4}, {8, 3}, {2}}, c, new MemoryLedger(0));
        // param threshold 8: candidates 4, 8, 3, 2 in order; model threshold 14: 4+8 = 12, 3 would make 15 (skip), 2
        long total = Persistence.mark(m.params, 8, 14);
        assertEquals(14, total);
        boolean[] expect = {false, true, true, false, true};
        for (int i = 0; i < expect.length; i++) {
            assertEquals(expect[i], m.params.get(i).isPersistent(), "param " + i);
        }
    }
}
