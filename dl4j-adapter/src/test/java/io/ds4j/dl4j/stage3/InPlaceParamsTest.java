package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.TestNets;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.config.OffloadParamConfig;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.stage3.MasterShardStore;
import io.ds4j.zero.stage3.PartitionedParam;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Stage-3 ranks that are threads of the process holding the user's network train in place on its parameters
 * ({@link Stage3Trainer}'s in-place mode, which {@code ZeroTrainer} uses): each rank's
 * shard of a tensor is the network's own memory at the rank's range, the ranks' shards together are the network's
 * flat vector exactly once, every layer computes on the network's memory, and training gives the same floats as
 * shards of their own (bit for bit: the same float operations on the same values, only where the values live
 * differs). Measured in resident bytes: a trainer built in place holds at least 3/4 of 4&Psi; less than one holding
 * copies of the shards.
 */
class InPlaceParamsTest {

    private static Stage3Trainer open(Model net, int world, OffloadParamConfig offload, boolean inPlace) {
        return Stage3Trainer.create(net, Stage3ParityTest.knobs("plain"), offload,
                InProcessCollectives.create(world, Duration.ofMinutes(2)), Stage3Numerics.fp32(), inPlace);
    }

    @ParameterizedTest(name = "world {0}")
    @ValueSource(ints = {2, 3})
    void theShardsAreTheNetworksParametersOnceEach(int world) {
        MultiLayerNetwork net = TestNets.plainDenseMln(1);
        INDArray flat = net.params();
        try (Stage3Trainer t = open(net, world, OffloadParamConfig.none(), true)) {
            assertTrue(t.trainsInPlace());
            TreeMap<Long, Long> ranges = new TreeMap<>(); // first element -> length, over every rank's owned pieces
            for (int r = 0; r < world; r++) {
                assertTrue(t.rank(r).inPlace());
                for (PartitionedParam p : t.rank(r).params()) {
                    MasterShardStore s = (MasterShardStore) p.store();
                    INDArray owned = s.owned();
                    if (owned == null) {
                        continue; // a rank owning none of a small tensor
                    }
                    assertEquals(flat.data().address(), owned.data().address(), p.spec().name() + " on rank " + r);
                    assertNull(ranges.put(owned.offset(), owned.length()), "two pieces start at " + owned.offset());
                }
                long paramBytes = t.memoryReport().get(r).peakBytes(MemoryCategory.PARAMETERS, MemoryTier.DEVICE);
                long owned = 0; // DeepSpeed's split of each tensor: ceil(n / N) per rank, the last ranks fewer
                for (int i = 0; i < net.getnLayers(); i++) {
                    for (INDArray w : net.getLayer(i).paramTable().values()) {
                        long c = (w.length() + world - 1) / world;
                        owned += Math.max(0, Math.min(c, w.length() - r * c));
                    }
                }
                assertEquals(4 * owned, paramBytes, "the ledger enters rank " + r + "'s owned parameters, 4 B each");
            }
            long next = flat.offset();
            for (var e : ranges.entrySet()) {
                assertEquals(next, e.getKey(), "the pieces tile the flat vector with no gap or overlap");
                next += e.getValue();
            }
            assertEquals(flat.offset() + flat.length(), next, "... to its end");
        }
    }

    @Test
    void everyLayerComputesOnTheNetworksMemory() {
        MultiLayerNetwork net = TestNets.plainDenseMln(1);
        long start = net.params().data().address();
        long end = start + 4 * (net.params().offset() + net.params().length());
        ConcurrentLinkedQueue<String> outside = new ConcurrentLinkedQueue<>();
        int[] entered = {0};
        try (Stage3Trainer t = open(net, 2, OffloadParamConfig.none(), true)) {
            for (int r = 0; r < 2; r++) {
                int rank = r;
                t.rank(r).onEnter((layer, id) -> {
                    if (layer.numParams() == 0) {
                        return;
                    }
                    synchronized (entered) {
                        entered[0]++;
                    }
                    INDArray v = layer.params();
                    long at = v.data().address() + 4 * v.offset();
                    if (at < start || at + 4 * v.length() > end) {
                        outside.add("rank " + rank + " module " + id);
                    }
                });
            }
            new Stage3Steps(t, 1).fit(TestNets.randomData(1, 6, 3, new long[] {6}, new long[] {3}).get(0));
        }
        assertEquals(2 * 5, entered[0], "3 layers: forward 0, 1, 2, backward 1, 0 on each of 2 ranks");
        assertTrue(outside.isEmpty(), "layers computing outside the network's parameters: " + outside);
    }

    /**
     * The network given in place holds after every step exactly what a trainer with shards of its own writes into a
     * network ({@code writeParamsTo}), with no copy, for plain steps and with accumulation.
     */
    @ParameterizedTest(name = "world {0}")
    @ValueSource(ints = {1, 2, 3})
    void trainingInPlaceGivesTheSameFloats(int world) {
        List<DataSet> data = TestNets.randomData(4, 12, 9, new long[] {6}, new long[] {3});
        MultiLayerNetwork user = TestNets.plainDenseMln(7);
        MultiLayerNetwork copies = TestNets.plainDenseMln(7);
        MultiLayerNetwork written = TestNets.plainDenseMln(8); // another seed: every value is written
        float[] before = user.params().toFloatVector();
        try (Stage3Trainer inPlace = open(user, world, OffloadParamConfig.none(), true);
             Stage3Trainer own = open(copies, world, OffloadParamConfig.none(), false)) {
            assertTrue(inPlace.trainsInPlace(), "world " + world);
            assertFalse(own.trainsInPlace());
            Stage3Steps a = new Stage3Steps(inPlace, 2);
            Stage3Steps b = new Stage3Steps(own, 2);
            for (DataSet d : data) {
                assertEquals(b.fit(d), a.fit(d), 0.0, "the step's score");
                own.writeParamsTo(written);
                assertArrayEquals(written.params().toFloatVector(), user.params().toFloatVector());
            }
            assertArrayEquals(before, copies.params().toFloatVector(), "a trainer of its own leaves its network");
            float[] now = user.params().toFloatVector();
            inPlace.writeParamsTo(user); // nothing to do
            assertArrayEquals(now, user.params().toFloatVector());
            inPlace.writeParamsTo(written); // another network still gets the gathered values
            assertArrayEquals(now, written.params().toFloatVector());
        }
    }

    /**
     * A rank that fails in its forward pass never reaches the barrier before the optimizer step, so no rank writes:
     * the network keeps the weights of the last step taken.
     */
    @Test
    void aRankFailingBeforeTheStepLeavesTheLastStepsWeights() {
        List<DataSet> data = TestNets.randomData(2, 12, 4, new long[] {6}, new long[] {3});
        MultiLayerNetwork user = TestNets.plainDenseMln(2);
        try (Stage3Trainer t = open(user, 2, OffloadParamConfig.none(), true)) {
            new Stage3Steps(t, 1).fit(data.get(0));
            float[] after = user.params().toFloatVector();
            List<List<org.nd4j.linalg.dataset.api.MultiDataSet>> perRank =
                    io.ds4j.dl4j.RankBatches.perRank(data.get(1), 2, 1);
            perRank.set(1, List.of(new org.nd4j.linalg.dataset.MultiDataSet(
                    org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 6, 5),
                    org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 6, 3))));
            assertThrows(RuntimeException.class, () -> t.fit(perRank, 12, 1, 0), "5 features for a 6-input layer");
            assertArrayEquals(after, user.params().toFloatVector(), "no rank stepped");
        }
    }

    /**
     * Graphs too: a branching graph, and one with a SameDiff self-attention layer, which does not compute on its
     * module's memory (it keeps the memory it was first bound to): its tensors are gathered from the in-place shards
     * into pooled buffers, and the same floats come out.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"branching", "attention"})
    void graphsInPlaceGiveTheSameFloats(String kind) {
        boolean attention = kind.equals("attention");
        List<DataSet> data = attention ? TestNets.sequenceClassData(2, 8, 3)
                : TestNets.randomData(3, 12, 4, new long[] {6}, new long[] {3});
        ComputationGraph user = attention ? TestNets.attentionGraph(5) : Stage3GraphParityTest.branching(5);
        ComputationGraph copies = attention ? TestNets.attentionGraph(5) : Stage3GraphParityTest.branching(5);
        ComputationGraph written = attention ? TestNets.attentionGraph(6) : Stage3GraphParityTest.branching(6);
        try (Stage3Trainer inPlace = open(user, 2, OffloadParamConfig.none(), true);
             Stage3Trainer own = open(copies, 2, OffloadParamConfig.none(), false)) {
            assertTrue(inPlace.trainsInPlace(), kind);
            Stage3Steps a = new Stage3Steps(inPlace, 1);
            Stage3Steps b = new Stage3Steps(own, 1);
            for (DataSet d : data) {
                assertEquals(b.fit(d), a.fit(d), 0.0, "the step's score");
                own.writeParamsTo(written);
                assertArrayEquals(written.params().toFloatVector(), user.params().toFloatVector(), kind);
            }
        }
    }

    /**
     * {@code offload_param: cpu} on the CPU backend: the network's memory is host memory, so the shards stay in place
     * and are entered on the host; same floats as without offload.
     */
    @Test
    void cpuOffloadOnTheCpuBackendIsInPlaceOnTheHost() {
        List<DataSet> data = TestNets.randomData(3, 12, 2, new long[] {6}, new long[] {3});
        MultiLayerNetwork host = TestNets.plainDenseMln(3);
        MultiLayerNetwork device = TestNets.plainDenseMln(3);
        try (Stage3Trainer h = open(host, 2, OffloadParamConfig.onDevice(OffloadDevice.CPU), true);
             Stage3Trainer d = open(device, 2, OffloadParamConfig.none(), true)) {
            assertEquals(!io.ds4j.dl4j.EnginePrecision.cudaBackend(), h.trainsInPlace());
            Stage3Steps a = new Stage3Steps(h, 1);
            Stage3Steps b = new Stage3Steps(d, 1);
            for (DataSet x : data) {
                assertEquals(b.fit(x), a.fit(x), 0.0);
            }
            assertArrayEquals(device.params().toFloatVector(), host.params().toFloatVector());
            for (var s : h.memoryReport()) {
                assertEquals(0, s.peakBytes(MemoryCategory.PARAMETERS, MemoryTier.DEVICE), "rank " + s.rank());
                assertTrue(s.peakBytes(MemoryCategory.PARAMETERS, MemoryTier.HOST) > 0, "rank " + s.rank());
            }
        }
    }

    @Test
    void notInPlaceWhereItDoesNotApply(@TempDir Path nvme) {
        MultiLayerNetwork net = TestNets.plainDenseMln(1);
        try (Stage3Trainer t = open(net, 2, new OffloadParamConfig(OffloadDevice.NVME, nvme.toString(), 5,
                100_000_000L, 1_000_000_000L, true), true)) {
            assertFalse(t.trainsInPlace(), "offload_param nvme: the shards live in files");
        }
        io.ds4j.dl4j.EnginePrecision fp16 = io.ds4j.dl4j.EnginePrecision.from(io.ds4j.config.DeepSpeedConfig.parse(
                "{\"train_batch_size\": 8, \"fp16\": {\"enabled\": true}}"), 2);
        assertFalse(Stage3Trainer.inPlaceApplies(net, OffloadParamConfig.none(), new Stage3Numerics(fp16, null)),
                "fp16: the gathers read 16-bit copies beside the fp32 masters");

        try (Stage3Trainer t = open(net, 2, OffloadParamConfig.none(), false)) {
            assertFalse(t.trainsInPlace(), "not asked for");
        }
    }

    /**
     * Resident bytes (JavaCPP's physical bytes, the process's RSS) added by building a 2-rank trainer on a
     * Ψ = 12.0M network, each build in a child JVM of its own after a warm-up build on a small network (a JVM that has
     * freed native memory reuses it, and its resident set then does not grow): in place, the parameter shards add
     * nothing; with shards of their own, the ranks' fp32 masters (4Ψ in all, zero-filled and so resident) come on top.
     * The difference must be at least 3/4 of 4Ψ (the rest of what a build holds, gradient partitions and updater
     * state, is the same in both).
     */
    @Test
    void inPlaceHoldsFourPsiFewerResidentBytes() throws Exception {
        long[] inPlace = childGrowth(true);
        long[] copies = childGrowth(false);
        long psi = inPlace[1];
        System.out.printf("in-place build: resident growth %d B in place, %d B with copies, 4Ψ = %d B%n", inPlace[0],
                copies[0], 4 * psi);
        assertTrue(copies[0] - inPlace[0] >= 3 * psi, "resident growth in place " + inPlace[0] + " B, with copies "
                + copies[0] + " B; 4Ψ = " + 4 * psi + " B");
    }

    /**
     * A ComputationGraph rank wires its graph (DL4J's {@code init}) on the user's own vector, not on a copy per rank:
     * building a 2-rank trainer on a graph of the same layers as the network above, in a child JVM, adds less than
     * 2Ψ bytes more than on the network (a copy per rank added 8Ψ: 273.4 MB against 177.1 MB, measured before the
     * change; after, 177.4 against 174.1). And building neither changes the graph's values.
     */
    @Test
    void aGraphRankIsWiredOnTheUsersVectorNotACopy() throws Exception {
        long[] graph = childGrowth(true, "graph");
        long[] mln = childGrowth(true, "mln");
        long psi = graph[1];
        assertEquals(mln[1], psi, "the same layers");
        System.out.printf("in-place build: graph %d B, network %d B, Ψ = %d%n", graph[0], mln[0], psi);
        assertTrue(graph[0] - mln[0] < 2 * psi, "graph " + graph[0] + " B against the network's " + mln[0]
                + " B; Ψ = " + psi);
        ComputationGraph g = Stage3GraphParityTest.branching(3);
        float[] before = g.params().toFloatVector();
        for (boolean inPlace : new boolean[] {false, true}) {
            try (Stage3Trainer t = open(g, 2, OffloadParamConfig.none(), inPlace)) {
                assertArrayEquals(before, g.params().toFloatVector(), "built, in place " + inPlace);
            }
            assertArrayEquals(before, g.params().toFloatVector(), "closed, in place " + inPlace);
        }
    }

    /** @return {resident growth of the build, Ψ} read in a child JVM */
    private static long[] childGrowth(boolean inPlace) throws Exception {
        return childGrowth(inPlace, "mln");
    }

    /** As {@link #childGrowth(boolean)} for {@code kind} {@code mln} or {@code graph}. */
    private static long[] childGrowth(boolean inPlace, String kind) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m"));
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) {
            cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName(),
                String.valueOf(inPlace), kind));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child still running: " + out);
        assertEquals(0, p.exitValue(), out);
        Matcher m = Pattern.compile("growth (\\d+) psi (\\d+)").matcher(out);
        assertTrue(m.find(), out);
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    /**
     * The child JVM of {@link #inPlaceHoldsFourPsiFewerResidentBytes}: {@code true|false} (in place); prints the
     * build's resident growth and Ψ.
     */
    public static final class Child {
        private Child() {
        }

        /** @param args whether to build in place; then {@code graph} for a ComputationGraph of the same layers */
        public static void main(String[] args) {
            boolean inPlace = Boolean.parseBoolean(args[0]);
            boolean graph = args.length > 1 && args[1].equals("graph");
            // loads the classes and starts the threads: not counted
            grown(graph ? Stage3GraphParityTest.branching(1) : TestNets.plainDenseMln(1), inPlace);
            Model net;
            if (graph) {
                ComputationGraph g = new ComputationGraph(deepGraph(3, 2000, 5));
                g.init();
                net = g;
            } else {
                MultiLayerNetwork m = new MultiLayerNetwork(HostBytes.deep(3, 2000, 5));
                m.init();
                net = m;
            }
            System.out.println("growth " + grown(net, inPlace) + " psi " + net.numParams());
            System.exit(0);
        }
    }

    /** {@link HostBytes#deep} as a ComputationGraph: a chain of the same layers. */
    static org.deeplearning4j.nn.conf.ComputationGraphConfiguration deepGraph(int layers, int width, long seed) {
        var b = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().seed(seed)
                .dataType(org.nd4j.linalg.api.buffer.DataType.FLOAT)
                .weightInit(org.deeplearning4j.nn.weights.WeightInit.XAVIER)
                .updater(new org.nd4j.linalg.learning.config.Adam(1e-3)).graphBuilder().addInputs("in")
                .addLayer("d0", new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(6).nOut(width)
                        .activation(org.nd4j.linalg.activations.Activation.TANH).build(), "in");
        String last = "d0";
        for (int i = 1; i <= layers; i++) {
            b.addLayer("d" + i, new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(width).nOut(width)
                    .activation(org.nd4j.linalg.activations.Activation.TANH).build(), last);
            last = "d" + i;
        }
        return b.addLayer("out", new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(
                org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MCXENT).nIn(width).nOut(3)
                .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build(), last).setOutputs("out").build();
    }

    private static long grown(Model net, boolean inPlace) {
        System.gc(); // the last trainer's native arrays are freed once unreachable
        long before = Pointer.physicalBytes();
        try (Stage3Trainer t = open(net, 2, OffloadParamConfig.none(), inPlace)) {
            if (t.trainsInPlace() != inPlace) {
                throw new IllegalStateException("in place: " + t.trainsInPlace());
            }
            return Pointer.physicalBytes() - before;
        }
    }
}
