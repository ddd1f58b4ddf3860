package io.ds4j.zero.offload;

import org.nd4j.linalg.factory.Nd4j;

import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.HeapFp32;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.VectorStorage;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;

/**
 * ZeRO-Offload's per-step traffic around an offloaded optimizer step: the reduced gradient shard goes down to the
 * host, the kernel updates the host master and writes the compute copy into a host buffer, which goes up to the
 * device. With fp16 gradients and parameters that is 2&Psi; + 2&Psi; = 4&Psi; bytes per step.
 *
 * <p>Modes: {@link Mode#SHARED} is ND4J's CPU backend, where "device" arrays already are host memory: the storages are
 * handed to the kernel as they are, nothing is copied and {@link #lastStep()} reports 0 bytes. {@link Mode#STAGED}
 * is the path for a device whose memory the host cannot address (CUDA): gradients are copied into a host staging
 * buffer before the kernel and the compute copy out of one after it. On the CUDA backend the staging buffers would be
 * pinned and the copies asynchronous; here they are plain heap arrays, which keeps the path testable on CPU. Not
 * thread-safe; one per rank.
 */
public final class HostTransfer implements AutoCloseable {
    /** How device memory relates to host memory. */
    public enum Mode {
        /** Device memory is host memory (ND4J CPU backend): pass through, no copy. */
        SHARED,
        /** Device memory is separate: copy down and up through host staging buffers. */
        STAGED
    }

    /**
     * Bytes moved in one step.
     *
     * @param down gradient bytes copied device to host
     * @param up   parameter bytes copied host to device
     */
    public record Traffic(long down, long up) {
        /** Both directions. */
        public long total() {
            return down + up;
        }
    }

    private final Mode mode;
    private final MemoryLedger ledger;
    private float[] gradStage = new float[0];
    private float[] paramStage = new float[0];
    private MemoryLedger.Allocation staging;
    private Traffic last = new Traffic(0, 0);

    /** A transfer in {@code mode} whose staging buffers are recorded in {@code ledger}. */
    public HostTransfer(Mode mode, MemoryLedger ledger) {
        this.mode = java.util.Objects.requireNonNull(mode, "mode");
        this.ledger = java.util.Objects.requireNonNull(ledger, "ledger");
    }

    /**
     * The transfer for ND4J's current backend: {@link Mode#SHARED} on the CPU backend (device arrays are host memory),
     * {@link Mode#STAGED} otherwise.
     */
    public static HostTransfer forCurrentBackend(MemoryLedger ledger) {
        return new HostTransfer(Nd4j.getEnvironment().isCPU() ? Mode.SHARED : Mode.STAGED, ledger);
    }

    /** The mode. */
    public Mode mode() {
        return mode;
    }

    /** Bytes moved by the last {@link #step}. */
    public Traffic lastStep() {
        return last;
    }

    /**
     * Runs {@code store}'s step on device-side inputs: gradients down, kernel on the host, parameters up.
     *
     * @param input gradients and compute copy where the device holds them
     */
    public void step(OptimizerStateStore store, FusedOptimizer optimizer, StepInput input, KernelPool pool) {
        if (mode == Mode.SHARED) {
            store.step(optimizer, input, pool);
            last = new Traffic(0, 0);
            return;
        }
        int n = (int) store.length();
        ensureStaging(n);
        HeapFp32 grads = new HeapFp32(gradStage, 0, n);
        Copies.copy(input.gradients(), 0, grads, 0, n);
        VectorStorage device = input.computeCopy();
        HeapFp32 params = device == null ? null : new HeapFp32(paramStage, 0, n);
        store.step(optimizer, new StepInput(grads, input.args(), params), pool);
        if (device != null) {
            Copies.copy(params, 0, device, 0, n);
        }
        last = new Traffic((long) n * Slices.elementBytes(input.gradients()),
                device == null ? 0 : (long) n * Slices.elementBytes(device));
    }

    private void ensureStaging(int n) {
        if (gradStage.length >= n) {
            return;
        }
        gradStage = new float[n];
        paramStage = new float[n];
        if (staging != null) {
            staging.close();
        }
        staging = ledger.allocate(MemoryCategory.OFFLOAD_BUFFERS, MemoryTier.HOST,
                (long) Float.BYTES * (gradStage.length + paramStage.length), "host transfer staging");
    }

    /** Releases the staging buffers. */
    @Override
    public void close() {
        if (staging != null) {
            staging.close();
            staging = null;
        }
        gradStage = new float[0];
        paramStage = new float[0];
    }
}
