package io.ds4j.zero.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.ds4j.zero.kernels.FusedAdam;
import io.ds4j.zero.kernels.FusedLamb;
import io.ds4j.zero.kernels.FusedSgd;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.kernels.VectorStorage;
import io.ds4j.zero.ledger.MemoryLedger;

/** Illegal calls throw and say what is wrong, for every kind of store. */
class StoreLifecycleTest {
    private static KernelPool pool;

    @TempDir
    Path nvme;

    @BeforeAll
    static void startPool() {
        pool = new KernelPool(1);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    private static StepInput input(int n) {
        return new StepInput(VectorStorage.of(new float[n]), new StepArgs(1, 0.1f, 1f), null);
    }

    @ParameterizedTest
    @EnumSource(OffloadFixture.Kind.class)
    void stepBeforeInitializeAndAfterCloseAreRefused(OffloadFixture.Kind kind) {
        OptimizerStateStore store = kind.open(nvme, new StoreRequest(0, 100, 2, 16, new MemoryLedger(0)));
        IllegalStateException early = assertThrows(IllegalStateException.class,
                () -> store.step(FusedAdam.deepSpeedDefaults(), input(100), pool));
        assertTrue(early.getMessage().contains("initialize"), early.getMessage());
        store.close();
        store.close(); // idempotent
        IllegalStateException late = assertThrows(IllegalStateException.class,
                () -> store.step(FusedAdam.deepSpeedDefaults(), input(100), pool));
        assertTrue(late.getMessage().contains("close"), late.getMessage());
    }

    @ParameterizedTest
    @EnumSource(value = OffloadFixture.Kind.class, names = "DEVICE", mode = EnumSource.Mode.EXCLUDE)
    void offloadedStoresRefuseLambAndAWrongStateCount(OffloadFixture.Kind kind) {
        try (OptimizerStateStore store = kind.open(nvme, new StoreRequest(0, 100, 2, 16, new MemoryLedger(0)))) {
            store.initialize(VectorStorage.of(new float[100]));
            IllegalArgumentException lamb = assertThrows(IllegalArgumentException.class,
                    () -> store.step(FusedLamb.deepSpeedDefaults(), input(100), pool));
            assertTrue(lamb.getMessage().contains("Lamb cannot be offloaded"), lamb.getMessage());
            IllegalArgumentException sgd = assertThrows(IllegalArgumentException.class,
                    () -> store.step(new FusedSgd(0.9f, 0f, false, 0f), input(100), pool));
            assertTrue(sgd.getMessage().contains("keeps 1 state vector(s) but the store was created for 2"),
                    sgd.getMessage());
            IllegalArgumentException len = assertThrows(IllegalArgumentException.class,
                    () -> store.step(FusedAdam.deepSpeedDefaults(), input(99), pool));
            assertTrue(len.getMessage().contains("99"), len.getMessage());
            float[] master = new float[100];
            store.readMaster(master, 0);
            assertEquals(0f, master[0], "refused steps changed nothing");
        }
    }
}
