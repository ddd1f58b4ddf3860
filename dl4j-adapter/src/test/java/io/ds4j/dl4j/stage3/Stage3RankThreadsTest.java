package io.ds4j.dl4j.stage3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.dl4j.TestNets;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.samediff.SameDiffLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Issue 12, defect 8: a {@link Stage3Trainer} keeps one thread per rank for its whole life. Before, every step (and
 * every gather of the full model) started new rank threads, and SameDiff, which keeps one inference session per
 * thread, kept one more session per step in each rank's self-attention layer. Measured here: the sessions held by
 * the SameDiff layers over 6 steps, and the identity of the threads that run the steps.
 */
class Stage3RankThreadsTest {

    private static int sessions(Stage3Trainer t, int world) throws ReflectiveOperationException {
        Field f = SameDiffLayer.class.getDeclaredField("sameDiff");
        f.setAccessible(true);
        int n = 0;
        for (int r = 0; r < world; r++) {
            for (Layer l : t.rank(r).lossLayers()) {
                if (l instanceof SameDiffLayer s && f.get(s) != null) {
                    n += ((SameDiff) f.get(s)).getSessions().size();
                }
            }
        }
        return n;
    }

    @Test
    void oneThreadPerRankForTheTrainersLifeAndNoSessionPerStep() throws Exception {
        ComputationGraph net = Stage3GraphParityTest.attention(42);
        List<DataSet> data = TestNets.randomData(6, 6, 11, new long[] {4, 5}, new long[] {3});
        List<Integer> counts = new ArrayList<>();
        List<Thread> threads;
        List<List<Thread>> seen = new ArrayList<>();
        try (Stage3Trainer t = Stage3Steps.open(net, Stage3ParityTest.knobs("plain"), 2)) {
            Stage3Steps steps = new Stage3Steps(t, 1);
            threads = t.rankThreads();
            for (DataSet d : data) {
                steps.fit(d);
                t.copyParamsTo(net);
                counts.add(sessions(t, 2));
                seen.add(t.onEachRank(c -> Thread.currentThread()));
            }
        }
        assertTrue(counts.get(0) > 0, "the attention layers must hold a session: " + counts);
        assertEquals(counts.get(0), counts.get(counts.size() - 1), "SameDiff sessions after each step: " + counts);
        for (List<Thread> s : seen) {
            assertEquals(threads, s, "the same thread per rank at every step");
        }
        for (Thread th : threads) {
            th.join(5000);
            assertFalse(th.isAlive(), th.getName() + " still alive after close()");
        }
    }
}
