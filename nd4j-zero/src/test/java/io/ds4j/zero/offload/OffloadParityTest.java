package io.ds4j.zero.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.kernels.FusedAdam;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.kernels.VectorStorage;
import io.ds4j.zero.ledger.LedgerSnapshot;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;

/**
 * Offload on/off parity: the same steps through every kind of store end with a master, optimizer state and compute
 * copy bit-identical to one kernel call per step over the whole shard in heap arrays. Exact equality is expected:
 * every kernel is element-wise, so splitting the shard into sub-groups, between device and host, or staging it
 * through files and direct buffers changes no arithmetic.
 */
class OffloadParityTest extends PooledStoreTest {
    /** 1003 elements in sub-groups of 64: 16 sub-groups, the last of 43, so every pipeline stage is exercised. */
    static final int N = 1003;
    static final int SUB_GROUP = 64;
    static final int STEPS = 5;

    static Stream<Arguments> cases() {
        return Arrays.stream(OffloadFixture.Optimizer.values())
                .flatMap(o -> Arrays.stream(OffloadFixture.Kind.values()).map(k -> Arguments.of(o, k)));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void everyStoreMatchesTheUnoffloadedKernelBitForBit(OffloadFixture.Optimizer o, OffloadFixture.Kind kind)
            throws IOException {
        float[] init = OffloadFixture.random(99, N, 1f);
        OffloadFixture.Result expected = OffloadFixture.reference(o.kernel, init, STEPS, pool);
        MemoryLedger ledger = new MemoryLedger(0);
        StoreRequest request = new StoreRequest(0, N, o.kernel.stateWords(), SUB_GROUP, ledger);
        try (OptimizerStateStore store = kind.open(nvme, request)) {
            float[] copy = OffloadFixture.run(store, o.kernel, init, STEPS, pool);
            expected.assertBitIdentical(store, copy, o + " on " + kind);
        }
        LedgerSnapshot after = ledger.snapshot();
        for (MemoryTier t : MemoryTier.values()) {
            assertEquals(0, after.tierBytes(t), "bytes still recorded on " + t + " after close");
        }
        try (Stream<Path> left = Files.list(nvme)) {
            assertEquals(0, left.count(), "files left under nvme_path after close");
        }
    }

    /**
     * A golden value from DeepSpeed's Adam formula, derived by hand: at step 1 with zero state,
     * {@code m = (1-b1) g}, {@code v = (1-b2) g^2}, so {@code m / (1-b1) = g} and {@code sqrt(v) / sqrt(1-b2) = |g|},
     * and {@code p1 = p0 - lr * g / (|g| + eps)}. With p0 = 1, lr = 0.1, g = 0.5 * 0.25 (multiplier 0.5),
     * eps = 1e-8: {@code p1 = 1 - 0.1 * 0.125 / (0.125 + 1e-8)}. Tolerance: a few fp32 ulps of 1.
     */
    @Test
    void nvmeAdamFirstStepMatchesDeepSpeedsFormula() {
        FusedAdam adam = FusedAdam.deepSpeedDefaults();
        double g = 0.5 * 0.25;
        double expected = 1 - 0.1 * g / (Math.abs(g) + 1e-8);
        MemoryLedger ledger = new MemoryLedger(0);
        float[] init = new float[10];
        Arrays.fill(init, 1f);
        float[] grads = new float[10];
        Arrays.fill(grads, 0.25f);
        try (OptimizerStateStore store = OptimizerStores.open(OffloadFixture.nvme(nvme, 3, false, false, 1),
                new StoreRequest(0, 10, 2, 3, ledger))) {
            store.initialize(VectorStorage.of(init));
            store.step(adam, new StepInput(VectorStorage.of(grads), new StepArgs(1, 0.1f, 0.5f), null), pool);
            float[] master = new float[10];
            store.readMaster(master, 0);
            assertEquals(OffloadDevice.NVME, store.device());
            for (float p : master) {
                assertEquals(expected, p, 4e-7);
            }
        }
    }
}
