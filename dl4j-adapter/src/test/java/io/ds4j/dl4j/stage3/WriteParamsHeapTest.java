package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.config.OffloadParamConfig;
import io.ds4j.zero.config.ZeroStage3Config;
import java.time.Duration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;

/**
 * The copy of the trained parameters into the user's network ({@link Stage3Trainer#writeParamsTo}, which the engine
 * runs after every step taken with an initialised network) makes no heap copy of the model, measured by the JVM: on 2
 * ranks and a network of {@value #LAYERS} hidden 1,000 x 1,000 layers (Ψ = 9,019,003, 36 MB of fp32), the heap
 * allocated by all threads during one call stays under half of one fp32 copy of the model (2Ψ bytes). Each rank reads
 * its shards into one heap buffer of the largest tensor, gathers in place and writes the network's range from it
 * (measured: 8.2 MB, the two ranks' 4 MB buffers). Before, each tensor got a full buffer, a shard copy and, on rank 0,
 * a further full copy on the way to ND4J: 144.6 MB of heap per call for this network, so per step. The values are the
 * trainer's: the network equals the one it was built from.
 */
class WriteParamsHeapTest {
    private static final int LAYERS = 9;
    private static final int WIDTH = 1000;

    private static MultiLayerNetwork wide() {
        MultiLayerNetwork n = new MultiLayerNetwork(HostBytes.deep(LAYERS, WIDTH, 7));
        n.init();
        return n;
    }

    @Test
    void writingTheParametersIntoTheNetworkMakesNoHeapCopyOfTheModel() {
        MultiLayerNetwork net = wide();
        MultiLayerNetwork target = wide();
        target.params().assign(0);
        try (Stage3Trainer t = Stage3Trainer.create(net, ZeroStage3Config.defaults(), OffloadParamConfig.none(),
                InProcessCollectives.create(2, Duration.ofMinutes(2)), Stage3Numerics.fp32())) {
            t.writeParamsTo(target); // the first call also loads classes: its heap is not the copy's own
            target.params().assign(0);
            long before = HostBytes.heapAllocatedByAllThreads();
            t.writeParamsTo(target);
            long allocated = HostBytes.heapAllocatedByAllThreads() - before;
            assertEquals(9_019_003L, net.numParams());
            assertTrue(allocated < 2 * net.numParams(), "heap allocated by one writeParamsTo: " + allocated
                    + " B, half of one fp32 copy of the model is " + 2 * net.numParams() + " B");
        }
        assertEquals(net.params(), target.params());
    }
}
