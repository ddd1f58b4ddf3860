package io.ds4j.zero.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.config.OffloadOptimizerConfig;
import io.ds4j.zero.kernels.Betas;
import io.ds4j.zero.kernels.Fp32Storage;
import io.ds4j.zero.kernels.FusedAdam;
import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.FusedSgd;
import io.ds4j.zero.kernels.HeapFp32;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.OptimizerBuffers;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.kernels.VectorStorage;

/** Shared data and configurations of the offload tests. */
final class OffloadFixture {
    private OffloadFixture() {
    }

    /** The optimizers of the parity tests (weight decay on, so the L2/decoupled paths run). */
    enum Optimizer {
        ADAM(new FusedAdam(Betas.DEFAULT, 1e-8f, 0.01f, false, true)),
        ADAMW(new FusedAdam(new Betas(0.8f, 0.99f), 1e-6f, 0.05f, true, true)),
        SGD_MOMENTUM(new FusedSgd(0.9f, 0f, false, 1e-4f)),
        SGD_NESTEROV(new FusedSgd(0.9f, 0f, true, 0f));

        final FusedOptimizer kernel;

        Optimizer(FusedOptimizer kernel) {
            this.kernel = kernel;
        }
    }

    /** How a test store is configured. */
    enum Kind {
        DEVICE, CPU_HEAP, CPU_DIRECT, NVME, NVME_READ_AHEAD, NVME_WRITE_BEHIND, NVME_PIPELINED, PARTIAL_CPU,
        PARTIAL_NVME;

        OffloadOptimizerConfig config(Path nvme) {
            return switch (this) {
                case DEVICE -> OffloadOptimizerConfig.none();
                case CPU_HEAP, CPU_DIRECT -> OffloadOptimizerConfig.onDevice(OffloadDevice.CPU);
                case NVME -> nvme(nvme, 3, false, false, 1.0);
                case NVME_READ_AHEAD -> nvme(nvme, 6, true, false, 1.0);
                case NVME_WRITE_BEHIND -> nvme(nvme, 6, false, true, 1.0);
                case NVME_PIPELINED -> nvme(nvme, 9, true, true, 1.0);
                case PARTIAL_CPU -> new OffloadOptimizerConfig(OffloadDevice.CPU, null, 4, true, false, false, false,
                        0.5, false, 0.8);
                case PARTIAL_NVME -> nvme(nvme, 9, true, true, 0.7);
            };
        }

        OptimizerStateStore open(Path nvme, StoreRequest request) {
            HostMemory memory = this == CPU_DIRECT ? HostMemory.DIRECT : HostMemory.HEAP;
            return OptimizerStores.open(config(nvme), request, memory, FreeSpaceProbe.fileStore());
        }
    }

    static OffloadOptimizerConfig nvme(Path dir, int buffers, boolean read, boolean write, double ratio) {
        return new OffloadOptimizerConfig(OffloadDevice.NVME, dir.toString(), buffers, true, read, write, false,
                ratio, false, 0.8);
    }

    static float[] random(long seed, int n, float scale) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian() * scale;
        }
        return a;
    }

    /** Step {@code t}'s arguments: a decaying lr and an unscale factor, as a schedule and loss scale would give. */
    static StepArgs args(int t) {
        return new StepArgs(t, 0.01f / t, 0.5f);
    }

    /** What a plain, un-offloaded run of the kernel over the whole shard ends with. */
    record Result(float[] master, List<float[]> state, float[] computeCopy) {
        void assertBitIdentical(OptimizerStateStore store, float[] computeCopy, String what) {
            float[] m = new float[master.length];
            store.readMaster(m, 0);
            assertArrayEquals(master, m, what + ": master");
            for (int k = 0; k < state.size(); k++) {
                float[] s = new float[master.length];
                store.readState(k, s, 0);
                assertArrayEquals(state.get(k), s, what + ": state " + k);
            }
            assertArrayEquals(this.computeCopy, computeCopy, what + ": compute copy");
        }
    }

    /** The reference: one kernel call per step over heap arrays of the whole shard. */
    static Result reference(FusedOptimizer opt, float[] init, int steps, KernelPool pool) {
        int n = init.length;
        float[] master = init.clone();
        float[] copy = new float[n];
        List<float[]> state = new ArrayList<>();
        List<Fp32Storage> views = new ArrayList<>();
        for (int k = 0; k < opt.stateWords(); k++) {
            state.add(new float[n]);
            views.add(VectorStorage.of(state.get(k)));
        }
        for (int t = 1; t <= steps; t++) {
            HeapFp32 g = VectorStorage.of(random(t, n, 0.1f));
            opt.step(new OptimizerBuffers(g, VectorStorage.of(master), views, VectorStorage.of(copy)), args(t), pool);
        }
        return new Result(master, state, copy);
    }

    /** The same steps through a store; returns the compute copy it wrote. */
    static float[] run(OptimizerStateStore store, FusedOptimizer opt, float[] init, int steps, KernelPool pool) {
        int n = init.length;
        float[] copy = new float[n];
        store.initialize(VectorStorage.of(init));
        for (int t = 1; t <= steps; t++) {
            HeapFp32 g = VectorStorage.of(random(t, n, 0.1f));
            store.step(opt, new StepInput(g, args(t), VectorStorage.of(copy)), pool);
        }
        return copy;
    }
}
