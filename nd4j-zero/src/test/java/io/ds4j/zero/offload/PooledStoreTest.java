package io.ds4j.zero.offload;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import io.ds4j.zero.kernels.KernelPool;

/**
 * What the optimizer-store tests share: a 2-thread {@link KernelPool} opened before a class's tests and closed after
 * them, and a fresh temporary directory per test for the nvme stores' files. The test classes run one at a time
 * (surefire runs no JUnit classes in parallel here), so one static pool serves the class that is running.
 */
abstract class PooledStoreTest {
    static KernelPool pool;

    @TempDir
    Path nvme;

    @BeforeAll
    static void startPool() {
        pool = new KernelPool(2);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }
}
