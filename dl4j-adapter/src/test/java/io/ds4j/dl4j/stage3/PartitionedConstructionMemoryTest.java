package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.PartitionedConstruction;
import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.config.OffloadParamConfig;
import io.ds4j.zero.config.ZeroStage3Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;

/**
 * Partitioned construction (DeepSpeed's {@code zero.Init}) holds one layer at a time, measured by the JVM and the
 * kernel rather than by the ledger: on a network of {@value #LAYERS} hidden 1,000 x 1,000 layers (4 MB of fp32 each,
 * Ψ = 9,019,003), building a 1-rank stage-3 trainer from the uninitialised network
 * <ul>
 *   <li>allocates less Java heap, over all threads, than a quarter of one fp32 copy of the parameters (Ψ bytes;
 *       measured: 4.0 MB, about what a network of a sixth of the size allocates): each layer's values go from its
 *       ND4J array into the shards a 256 KiB tile at a time (before, each layer was copied to a {@code float[]} and
 *       each shard once more, 2 x 4Ψ bytes of heap garbage: 1 GB at the 128M parameters of {@code bench capacity},
 *       which the collector's young generation then kept resident);</li>
 *   <li>leaves the process's resident bytes ({@link Pointer#physicalBytes()}, the kernel's count) growing by less
 *       than two layers between the first layer drawn and the last: each layer's native array is freed as soon as it
 *       is partitioned (before, they waited for a collection that the missing heap garbage no longer triggered, and
 *       the 128M child's resident set reached 1,079 MiB during construction).</li>
 * </ul>
 */
class PartitionedConstructionMemoryTest {
    private static final int LAYERS = 9;
    private static final int WIDTH = 1000;
    private static final long LAYER_BYTES = 4L * (WIDTH * WIDTH + WIDTH);

    private static MultiLayerConfiguration wide() {
        return HostBytes.deep(LAYERS, WIDTH, 5);
    }

    private static Stage3Trainer build(MultiLayerNetwork net) {
        return Stage3Trainer.create(net, ZeroStage3Config.defaults(), OffloadParamConfig.none(),
                InProcessCollectives.create(1, Duration.ofMinutes(2)), Stage3Numerics.fp32());
    }

    @Test
    void constructionAllocatesNoHeapCopyOfTheParameters() {
        MultiLayerNetwork net = new MultiLayerNetwork(wide()); // no init(): built partitioned
        build(net).close(); // the first build also loads and initialises classes: its heap is not the build's own
        long before = HostBytes.heapAllocatedByAllThreads();
        try (Stage3Trainer t = build(net)) {
            long allocated = HostBytes.heapAllocatedByAllThreads() - before;
            long psi = PartitionedConstruction.numParams(PartitionedConstruction.prepared(
                    net.getLayerWiseConfigurations()));
            assertEquals(9_019_003L, psi);
            assertTrue(allocated < psi, "heap allocated while building: " + allocated + " B, a quarter of one fp32"
                    + " copy of the parameters is " + psi + " B");
        }
    }

    @Test
    void eachLayersArrayIsFreedOnceItIsPartitioned() {
        MultiLayerConfiguration conf = PartitionedConstruction.prepared(wide());
        List<Long> resident = new ArrayList<>();
        PartitionedConstruction.initialise(conf.clone(), (values, i) -> {
            if (values.capacity() >= WIDTH * WIDTH) {
                resident.add(Pointer.physicalBytes()); // while this layer's array exists
            }
        });
        assertEquals(LAYERS, resident.size());
        long grown = resident.get(LAYERS - 1) - resident.get(0); 
        assertTrue(grown < 2 * LAYER_BYTES, "resident bytes grew by " + grown + " B over " + LAYERS + " layers of "
                + LAYER_BYTES + " B; each layer's array should be freed before the next is drawn");
    }
}
