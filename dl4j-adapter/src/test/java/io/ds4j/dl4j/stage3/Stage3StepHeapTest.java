package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import io.ds4j.dl4j.TestNets;
import io.ds4j.dl4j.ZeroTrainer;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import io.ds4j.dl4j.EnginePrecision.Compute;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A stage-3 step allocates no Java heap in proportion to the model, measured by the JVM (heap allocated by all
 * threads, as {@link WriteParamsHeapTest} measures): 2 in-process ranks, a network of 9 hidden 1,000 x 1,000 layers
 * (Ψ = 9,019,003), DeepSpeed's Adam and the memory knobs of {@code bench memory} (sub-group, buckets and live
 * parameters 1e6, release after use, biases persistent), through {@link ZeroTrainer} (so each step also copies the
 * parameters into the network). After two warm-up steps, each step allocates less than Ψ bytes (1 B per parameter)
 * in all: measured 3.7-3.8 MB with no offload, 3.9-4.0 with cpu offload, 5.3 with nvme, which is ND4J's and DL4J's
 * per-operation objects and the nvme stores' per-call objects (the same 3.7 MB at Ψ = 4.4M). Before, each step
 * allocated its gathered tensors, reduce-scatter buffers, the fused kernel's sub-group staging and the copy into the
 * network anew: 33.4 MB at Ψ = 4.4M without offload (7.5 B per parameter), 17.4 MB with cpu offload, garbage that
 * G1 kept resident until a collection. The transients come from one pool that lives from step to step
 * ({@link io.ds4j.zero.stage3.TransientBuffers}) and the fused kernel steps the masters in place; so the ledger's
 * transient bytes are bounded by the knobs: {@code OTHER} (optimizer step temporaries) is 0 without offload (it was
 * 8 B x {@code sub_group_size}), and {@code COMM_BUFFERS} stays within the gradient scratch (4 B x the largest layer)
 * plus {@code stage3_max_live_parameters}, one module buffer beyond it (a layer's tensors side by side, gathered in
 * place, which the layer computes on), and one gradient shard: the reduce-scatter reads the ranks' gradient scratch in
 * place (it used to copy the gradient tensor into a pooled buffer first, one more tensor in this bound), and the
 * layers compute on the memory their parameters were gathered into (they used to compute on a parameter scratch of
 * the largest layer into which the gathered tensors were copied: 4 B x the largest layer and one tensor more in this
 * bound; measured peak 10.02 MB per rank against the bound's 14.01 MB, which was 18.01 MB); a gradient shard that
 * starts a step's accumulation is reduce-scattered straight into the gradient partition, so the shard is no pooled
 * buffer either (measured 8.02 MB).
 */
class Stage3StepHeapTest {
    private static final int LAYERS = 9;
    private static final int WIDTH = 1000;
    private static final long MAX_LIVE = 1_000_000;

    @TempDir
    Path nvme;

    @ParameterizedTest(name = "[offload {0}]")
    @ValueSource(strings = {"none", "cpu", "nvme"})
    void aStepAllocatesNoHeapInProportionToTheModel(String device) {
        String path = nvme.toString().replace("\\", "/");
        String off = device.equals("none") ? "" : ", \"offload_param\": {\"device\": \"" + device + "\","
                + " \"nvme_path\": \"" + path + "\", \"buffer_count\": 4, \"buffer_size\": 1000000},"
                + " \"offload_optimizer\": {\"device\": \"" + device + "\", \"nvme_path\": \"" + path + "\"}";
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"optimizer\": {\"type\": \"Adam\","
                + " \"params\": {\"lr\": 0.001}}, \"zero_optimization\": {\"stage\": 3, \"sub_group_size\": 1000000,"
                + " \"reduce_bucket_size\": 1000000, \"stage3_max_live_parameters\": " + MAX_LIVE + ","
                + " \"stage3_max_reuse_distance\": 1000000, \"stage3_prefetch_bucket_size\": 0,"
                + " \"stage3_param_persistence_threshold\": 10000" + off + "}}");
        MultiLayerNetwork net = new MultiLayerNetwork(HostBytes.deep(LAYERS, WIDTH, 7));
        net.init();
        long psi = net.numParams();
        assertEquals(9_019_003L, psi);
        List<DataSet> data = TestNets.randomData(1, 8, 9, new long[] {6}, new long[] {3});
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).build()) {
            for (int i = 0; i < 2; i++) {
                t.fit(new ExistingDataSetIterator(data)); // warm-up: classes, lazy caches, the pool's buffers
            }
            for (int i = 0; i < 2; i++) {
                long before = HostBytes.heapAllocatedByAllThreads();
                t.fit(new ExistingDataSetIterator(data));
                long allocated = HostBytes.heapAllocatedByAllThreads() - before;
                System.out.println("Stage3StepHeapTest offload " + device + ": " + allocated + " B of heap per step");
                assertTrue(allocated < psi, "offload " + device + ": one step allocated " + allocated
                        + " B of heap, the bound is Ψ = " + psi + " B");
            }
            long layer = (long) WIDTH * WIDTH + WIDTH;
            long tensor = (long) WIDTH * WIDTH;
            long bound = 4 * layer + 4 * (MAX_LIVE + layer + 1 + tensor / 2 + 2);
            for (LedgerSnapshot s : t.memoryReport()) {
                long comm = s.peakBytes(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE);
                System.out.println("Stage3StepHeapTest offload " + device + ": rank " + s.rank() + " COMM_BUFFERS peak "
                        + comm + " B, bound " + bound);
                assertTrue(comm <= bound, "rank " + s.rank() + ": COMM_BUFFERS peak " + comm + " > " + bound);
                // and no gradient shard of a 1000 x 1000 tensor is held beside them: its reduce-scatter writes the
                // shard straight into the gradient partition (both ranks' shards are unpadded, nothing is accumulated
                // yet); measured 8.02 MB, the scratch, the largest module buffer and 3,003 floats of the small
                // layers; it was 10.02 MB, with a pooled shard of 500,000 floats
                long noShard = 4 * layer + 4 * layer + 4 * (tensor / 2);
                assertTrue(comm < noShard, "rank " + s.rank() + ": COMM_BUFFERS peak " + comm + " >= " + noShard
                        + ", the gradient scratch, a module buffer and a gradient shard of the largest layer");
                assertEquals(0, s.peakBytes(MemoryCategory.OTHER, MemoryTier.DEVICE), "rank " + s.rank()
                        + ": the optimizer step stages nothing");
            }
        }
    }

    /**
     * The same with fp16 and HALF compute (the layers compute on a HALF copy of the gathered values, the fp16 gradient
     * is reduce-scattered through the pool): a step allocates less than Ψ bytes of heap too. Measured 3.3-3.6 MB per
     * step; it was 12.6 MB (1.4 B per parameter), which failed this bound: the optimizer step allocated a sub-group's
     * array (4 B x {@code sub_group_size}) to unscale the gradient in, now a tile of 4,096 elements (the unscaling is
     * element-wise), the copy of each updated master into its fp16 shard a 256 KiB tile per shard, now one per step,
     * and each HALF bind its encoding tiles, now one pair per rank thread.
     */
    @Test
    void aHalfStepAllocatesNoHeapInProportionToTheModel() {
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"fp16\": {\"enabled\": true},"
                + " \"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": 0.001}}, \"zero_optimization\":"
                + " {\"stage\": 3, \"sub_group_size\": 1000000, \"reduce_bucket_size\": 1000000,"
                + " \"stage3_max_live_parameters\": " + MAX_LIVE + ", \"stage3_max_reuse_distance\": 1000000,"
                + " \"stage3_prefetch_bucket_size\": 0, \"stage3_param_persistence_threshold\": 10000}}");
        MultiLayerNetwork net = new MultiLayerNetwork(HostBytes.deep(LAYERS, WIDTH, 7));
        net.init();
        long psi = net.numParams();
        List<DataSet> data = TestNets.randomData(1, 8, 9, new long[] {6}, new long[] {3});
        try (ZeroTrainer t = ZeroTrainer.builder(net).config(cfg).worldSize(2).compute(Compute.HALF).build()) {
            for (int i = 0; i < 2; i++) {
                t.fit(new ExistingDataSetIterator(data));
            }
            for (int i = 0; i < 2; i++) {
                long before = HostBytes.heapAllocatedByAllThreads();
                t.fit(new ExistingDataSetIterator(data));
                long allocated = HostBytes.heapAllocatedByAllThreads() - before;
                System.out.println("Stage3StepHeapTest HALF: " + allocated + " B of heap per step");
                assertTrue(allocated < psi, "HALF: one step allocated " + allocated + " B of heap, the bound is Ψ = "
                        + psi + " B");
            }
        }
    }
}
