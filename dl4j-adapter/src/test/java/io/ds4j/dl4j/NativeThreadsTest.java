package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicInteger;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.nn.api.Model;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * {@link NativeThreads} sets what ND4J 1.0.0-M2.1 really obeys (op threads, BLAS threads, the calling thread's
 * OpenMP team) and puts the process-wide values back; {@code ZeroTrainer} holds it around {@code fit}.
 */
class NativeThreadsTest {

    @Test
    void scopeSetsOpAndBlasThreadsAndRestoresThem() {
        int master = Nd4j.getEnvironment().maxMasterThreads();
        int blas = Nd4j.factory().blas().getMaxThreads();
        int team = NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
        try (NativeThreads ignored = NativeThreads.open(1)) {
            assertEquals(1, Nd4j.getEnvironment().maxMasterThreads());
            assertEquals(1, Nd4j.factory().blas().getMaxThreads());
            assertEquals(1, NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads());
        }
        assertEquals(master, Nd4j.getEnvironment().maxMasterThreads());
        assertEquals(blas, Nd4j.factory().blas().getMaxThreads());
        assertEquals(team, NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads(),
                "the calling thread's OpenMP team is restored too");
        assertThrows(IllegalArgumentException.class, () -> NativeThreads.open(0));
    }

    @Test
    void zeroTrainerLimitsEveryRankDuringFitOnly() {
        MultiLayerNetwork net = TestNets.blobNet();
        int blas = Nd4j.factory().blas().getMaxThreads();
        AtomicInteger seen = new AtomicInteger(-1);
        net.setListeners(new BaseTrainingListener() {
            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                seen.set(Nd4j.factory().blas().getMaxThreads());
            }
        });
        try (ZeroTrainer t = ZeroTrainer.builder(net).worldSize(2).threadsPerRank(1).build()) {
            t.fit(new ExistingDataSetIterator(TestNets.BLOB_BATCHES.subList(0, 2)));
        }
        assertEquals(1, seen.get(), "BLAS threads while the ranks ran");
        assertEquals(blas, Nd4j.factory().blas().getMaxThreads(), "restored after fit");
    }
}
