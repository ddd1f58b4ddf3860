package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.TestNets;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Ranks that are threads of one process compute every module on one native buffer, the same memory on every rank
 * ({@link SharedModuleMemory}), instead of one buffer each: read from the layers themselves, as each module is entered,
 * the address of the memory their parameters are views of. Training is unchanged (the parity tests run the same
 * ranks); ranks as processes keep their own buffers.
 */
class SharedModuleBufferTest {

    /** (module id, entry number on the rank) of one enter, and the address its layer computed on. */
    private record Entered(int module, int nth, long address) { }

    @ParameterizedTest(name = "world {0}")
    @ValueSource(ints = {2, 3})
    void theRanksOfOneProcessComputeEachModuleOnOneBuffer(int world) {
        MultiLayerNetwork net = TestNets.plainDenseMln(1);
        List<DataSet> data = TestNets.randomData(2, 6, world, new long[] {6}, new long[] {3});
        Map<Integer, List<Entered>> byRank = new ConcurrentHashMap<>();
        try (Stage3Trainer t = Stage3Steps.open(net, Stage3ParityTest.knobs("plain"), world)) {
            for (int r = 0; r < world; r++) {
                List<Entered> seen = java.util.Collections.synchronizedList(new ArrayList<>());
                byRank.put(r, seen);
                int[] nth = {0};
                t.rank(r).onEnter((layer, id) -> {
                    if (layer.numParams() > 0) {
                        seen.add(new Entered(id, nth[0]++, layer.params().data().address()));
                    }
                });
            }
            Stage3Steps steps = new Stage3Steps(t, 1);
            for (DataSet d : data) {
                steps.fit(d);
            }
            List<Entered> first = byRank.get(0);
            // 3 layers: forward 0, 1, 2 (the output layer's backward right after its forward), backward 1, 0
            assertEquals(2 * 5, first.size(), "entries on rank 0 in 2 steps: " + first);
            Set<Long> addresses = new HashSet<>();
            for (int r = 1; r < world; r++) {
                List<Entered> mine = byRank.get(r);
                assertEquals(first.size(), mine.size(), "rank " + r + " entered as many modules");
                for (int i = 0; i < first.size(); i++) {
                    assertEquals(first.get(i).module(), mine.get(i).module(), "the same trace");
                    assertEquals(first.get(i).address(), mine.get(i).address(), "rank " + r + " computes module "
                            + mine.get(i).module() + " (entry " + i + ") on rank 0's memory");
                }
            }
            first.subList(5, 10).forEach(e -> addresses.add(e.address()));
            // "plain" releases each module right after it ran, so after the first step one kept buffer (the largest
            // layer's) serves every module
            assertEquals(1, addresses.size(), "distinct buffers the process's layers computed on in step 2: "
                    + first);
        }
    }

    @ParameterizedTest(name = "world {0}")
    @ValueSource(ints = {2, 3})
    void eachRankLedgersItsShareAndEveryLedgerIsEmptyAfterClose(int world) {
        MultiLayerNetwork net = TestNets.plainDenseMln(1);
        List<DataSet> data = TestNets.randomData(1, 6, world, new long[] {6}, new long[] {3});
        Stage3Trainer t = Stage3Steps.open(net, Stage3ParityTest.knobs("plain"), world);
        List<LedgerSnapshot> open;
        List<io.ds4j.zero.ledger.MemoryLedger> ledgers = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            ledgers.add(t.rank(r).ledger());
        }
        try {
            new Stage3Steps(t, 1).fit(data.get(0));
            open = t.memoryReport();
            for (LedgerSnapshot s : open) {
                assertTrue(s.bytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE) > 0, "rank " + s.rank()
                        + " carries its share of the kept module buffer");
            }
        } finally {
            t.close();
        }
        for (int r = 0; r < world; r++) {
            LedgerSnapshot s = ledgers.get(r).snapshot();
            for (MemoryTier tier : MemoryTier.values()) {
                for (MemoryCategory c : MemoryCategory.values()) {
                    assertEquals(0, s.bytes(c, tier), "rank " + r + " " + c + " " + tier + " after close");
                }
            }
        }
    }

    /**
     * With {@code offload_param} the buffers kept between steps stay within its budget ({@code buffer_count x
     * buffer_size} per rank, N of them for the shared buffers) also after the full model is copied into a network,
     * which gathers every tensor through a shared buffer of the largest tensor's length.
     */
    @org.junit.jupiter.api.Test
    void theSharedBuffersKeptAfterACopyStayWithinOffloadParamsBudget(@org.junit.jupiter.api.io.TempDir
                                                                     java.nio.file.Path nvme) {
        int world = 2;
        MultiLayerNetwork net = TestNets.plainDenseMln(1);
        List<DataSet> data = TestNets.randomData(1, 6, world, new long[] {6}, new long[] {3});
        // 2 buffers of 8 elements: 64 bytes a rank between steps, less than any layer's buffer
        io.ds4j.zero.config.OffloadParamConfig offload = new io.ds4j.zero.config.OffloadParamConfig(
                io.ds4j.zero.config.OffloadDevice.NVME, nvme.toString(), 2, 8, 1_000_000_000L, true);
        try (Stage3Trainer t = Stage3Trainer.create(net, Stage3ParityTest.knobs("plain"), offload,
                InProcessCollectives.create(world, Duration.ofMinutes(2)), Stage3Numerics.fp32())) {
            new Stage3Steps(t, 1).fit(data.get(0));
            t.copyParamsTo(TestNets.plainDenseMln(2));
            for (int r = 0; r < world; r++) {
                long budget = t.rank(r).home().pooledBytesBetweenSteps();
                assertTrue(t.rank(r).pooledBytes() <= budget, "rank " + r + " keeps " + t.rank(r).pooledBytes()
                        + " B after the copy, budget " + budget);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void onlyRanksThatAreThreadsOfThisProcessShare() {
        assertNull(Stage3Trainer.sharedFor(InProcessCollectives.create(1, Duration.ofSeconds(5))), "one rank");
        assertNotNull(Stage3Trainer.sharedFor(InProcessCollectives.create(2, Duration.ofSeconds(5))));
        // this process's one rank of two (ranks as processes): its own buffers
        assertNull(Stage3Trainer.sharedFor(InProcessCollectives.create(2, Duration.ofSeconds(5)).subList(1, 2)));
    }
}
