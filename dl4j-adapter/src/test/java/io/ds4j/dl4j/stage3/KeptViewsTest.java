package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.ds4j.dl4j.TestNets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A stage-3 layer handed the buffer it was bound to keeps its views (8bd35f3): from one step to the next every module
 * computes on the same parameter-view and gradient-view objects, where each step used to make new ones (each a set of
 * ND4J objects that only a garbage collection frees, the growth {@code ResidentGuard}'s javadoc measures). With
 * "plain" knobs the pool hands every module the same kept buffer from the second step on, so steps 2 and 3 must bind
 * nothing new. The floats are the parity tests' concern.
 */
class KeptViewsTest {

    /** What a module's layer held as it was entered: its parameter and gradient views. */
    private record Seen(int module, INDArray params, INDArray gradients) { }

    @Test
    void aLayerGivenTheSameBufferKeepsItsViewsFromStepToStep() {
        MultiLayerNetwork net = TestNets.plainDenseMln(1);
        int world = 2;
        List<DataSet> data = TestNets.randomData(3, 6, world, new long[] {6}, new long[] {3});
        List<Seen> seen = Collections.synchronizedList(new ArrayList<>());
        try (Stage3Trainer t = Stage3Steps.open(net, Stage3ParityTest.knobs("plain"), world)) {
            t.rank(0).onEnter((layer, id) -> {
                if (layer.numParams() > 0) {
                    seen.add(new Seen(id, layer.params(), layer.getGradientsViewArray()));
                }
            });
            Stage3Steps steps = new Stage3Steps(t, 1);
            for (DataSet d : data) {
                steps.fit(d);
            }
        }
        // 3 layers: forward 0, 1, 2 (the output layer's backward right after its forward), backward 1, 0
        assertEquals(3 * 5, seen.size(), "entries on rank 0 in 3 steps: " + seen);
        for (int i = 0; i < 5; i++) {
            Seen second = seen.get(5 + i);
            Seen third = seen.get(10 + i);
            assertEquals(second.module(), third.module(), "the same trace");
            assertSame(second.params(), third.params(), "module " + third.module() + " (entry " + i
                    + "): new parameter views in step 3");
            assertSame(second.gradients(), third.gradients(), "module " + third.module() + " (entry " + i
                    + "): new gradient views in step 3");
        }
    }
}
