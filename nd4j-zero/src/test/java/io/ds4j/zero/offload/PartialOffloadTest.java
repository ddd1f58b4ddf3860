package io.ds4j.zero.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.config.OffloadOptimizerConfig;
import io.ds4j.zero.kernels.FusedAdam;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.kernels.VectorStorage;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;

/** {@code offload_optimizer.ratio}: which sub-groups stay on the device and where the ledger puts their bytes. */
class PartialOffloadTest {

    /**
     * DeepSpeed keeps sub-group {@code i} on the device when {@code i < int((1 - ratio) * n)} (double arithmetic,
     * truncation): e.g. ratio 0.7 of 10: (1 - 0.7) * 10 = 3.0000000000000004 -> 3; ratio 0.3 of 10:
     * 0.7 * 10 = 7.000000000000001 -> 7; ratio 0.9 of 16: 0.09999999999999998 * 16 = 1.5999999999999996 -> 1.
     */
    @ParameterizedTest(name = "ratio {0} of {1} sub-groups keeps {2} on the device")
    @CsvSource({"1.0,10,0", "0.0,10,10", "0.7,10,3", "0.3,10,7", "0.5,16,8", "0.9,16,1", "0.25,3,2", "0.99,5,0"})
    void deviceSubGroupsFollowDeepSpeedsSplit(double ratio, int groups, int onDevice) {
        assertEquals(onDevice, PartialOffloadStore.deviceSubGroups(ratio, groups));
    }

    @Test
    void ratioOutsideTheUnitIntervalIsRefusedNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PartialOffloadStore.deviceSubGroups(1.5, 4));
        assertTrue(e.getMessage().contains("offload_optimizer.ratio"), e.getMessage());
    }

    /**
     * 1000 elements in sub-groups of 64 = 16 sub-groups; ratio 0.5 keeps 8 (512 elements) on the device and
     * offloads 488 to the host. Adam: 4 bytes of master and 8 of state per element in each tier.
     */
    @Test
    void bytesSplitBetweenDeviceAndHostAtTheSubGroupBoundary() {
        MemoryLedger ledger = new MemoryLedger(0);
        OffloadOptimizerConfig c = new OffloadOptimizerConfig(OffloadDevice.CPU, null, 4, true, false, false, false,
                0.5, false, 0.8);
        try (OptimizerStateStore store = OptimizerStores.open(c, new StoreRequest(0, 1000, 2, 64, ledger))) {
            PartialOffloadStore partial = assertInstanceOf(PartialOffloadStore.class, store);
            assertEquals(512, partial.split());
            assertEquals(OffloadDevice.NONE, partial.devicePart().device());
            assertEquals(OffloadDevice.CPU, partial.offloadedPart().device());
            LedgerSnapshot s = ledger.snapshot();
            assertEquals(4 * 512, s.bytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.DEVICE));
            assertEquals(8 * 512, s.bytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE));
            assertEquals(4 * 488, s.bytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.HOST));
            assertEquals(8 * 488, s.bytes(MemoryCategory.OPTIMIZER_STATE, MemoryTier.HOST));
        }
        assertEquals(0, ledger.snapshot().tierBytes(MemoryTier.HOST) + ledger.snapshot().tierBytes(MemoryTier.DEVICE));
    }

    @Test
    void ratioZeroKeepsEverythingOnTheDeviceAndRatioOneOffloadsEverything() {
        MemoryLedger ledger = new MemoryLedger(0);
        OffloadOptimizerConfig none = new OffloadOptimizerConfig(OffloadDevice.CPU, null, 4, true, false, false,
                false, 0.0, false, 0.8);
        try (OptimizerStateStore store = OptimizerStores.open(none, new StoreRequest(0, 100, 1, 10, ledger))) {
            assertEquals(OffloadDevice.NONE, store.device());
        }
        try (OptimizerStateStore store = OptimizerStores.open(OffloadOptimizerConfig.onDevice(OffloadDevice.CPU),
                new StoreRequest(0, 100, 1, 10, ledger))) {
            assertInstanceOf(ResidentStore.class, store);
            assertEquals(OffloadDevice.CPU, store.device());
            assertEquals(400, ledger.snapshot().bytes(MemoryCategory.MASTER_WEIGHTS, MemoryTier.HOST));
            assertTrue(((ResidentStore) store).pinMemoryRequested(), "pin_memory is recorded (default true)");
            assertEquals(false, ((ResidentStore) store).pinned(), "nothing is pinned on the CPU backend");
        }
    }

    @Test
    void superOffloadIsRefusedNamingTheKey() {
        OffloadOptimizerConfig c = new OffloadOptimizerConfig(OffloadDevice.CPU, null, 4, true, false, false, false,
                1.0, true, 0.8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OptimizerStores.open(c, new StoreRequest(0, 10, 2, 10, new MemoryLedger(0))));
        assertTrue(e.getMessage().contains("offload_optimizer.super_offload"), e.getMessage());
    }

    /** A failure in the offloaded part fails the whole store: the device part is not stepped again. */
    @Test
    void aFailedStepFailsBothParts() {
        OffloadOptimizerConfig c = new OffloadOptimizerConfig(OffloadDevice.CPU, null, 4, true, false, false, false,
                0.5, false, 0.8);
        try (KernelPool pool = new KernelPool(1);
                OptimizerStateStore store = OptimizerStores.open(c, new StoreRequest(0, 64, 2, 16,
                        new MemoryLedger(0)))) {
            store.initialize(VectorStorage.of(new float[64]));
            // the device part holds elements [0, 32); the codec fails inside the offloaded part
            StepInput in = new StepInput(VectorStorage.of(new short[64], 0, 64, new ThrowingCodec(40)),
                    new StepArgs(1, 0.1f, 1f), null);
            assertThrows(IllegalStateException.class, () -> store.step(FusedAdam.deepSpeedDefaults(), in, pool));
            IllegalStateException again = assertThrows(IllegalStateException.class,
                    () -> store.step(FusedAdam.deepSpeedDefaults(), in, pool));
            assertTrue(again.getMessage().contains("FAILED"), again.getMessage());
        }
    }
}
