package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ds4j.config.DeepSpeedConfig;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Issue 12, defect 8: at stage 3 every rank thread runs its ops with {@code threadsPerRank} OpenMP threads
 * ({@link NativeThreads#limitCurrentThread}), as the rank threads of stages 0-2 do; before, they kept OpenMP's
 * default team (all cores), so N ranks oversubscribed the machine N times.
 */
class Stage3NativeThreadsTest {

    private static int team() {
        return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }

    @Test
    void stage3RankThreadsAreLimitedToThreadsPerRank() throws InterruptedException {
        AtomicInteger fresh = new AtomicInteger();
        Thread probe = new Thread(() -> fresh.set(team())); // a new thread's default team
        probe.start();
        probe.join();
        int wanted = fresh.get() == 1 ? 2 : 1; // differs from the default, so the test cannot pass by accident
        DeepSpeedConfig cfg = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"zero_optimization\": {\"stage\": 3}}");
        try (ZeroTrainer t = ZeroTrainer.builder(TestNets.sgdMln(4, new Adam(1e-2))).config(cfg).worldSize(2)
                .threadsPerRank(wanted).build()) {
            t.fit(new ExistingDataSetIterator(TestNets.denseData(2, 8, 3)));
            assertEquals(List.of(wanted, wanted), ((Stage3Engine) t.engine()).trainer().onEachRank(c -> team()),
                    "OpenMP team of each rank thread (default of a new thread: " + fresh.get() + ")");
        }
    }
}
