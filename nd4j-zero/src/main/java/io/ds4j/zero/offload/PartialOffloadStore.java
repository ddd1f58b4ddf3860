package io.ds4j.zero.offload;

import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.VectorStorage;

/**
 * Partial offload ({@code offload_optimizer.ratio < 1}, DeepSpeed's "Twin-Flow"): of the shard's {@code n}
 * sub-groups, the first {@code floor((1 - ratio) * n)} stay on the device and the rest are offloaded, the split
 * DeepSpeed 0.19.6 makes in stage 3's {@code _create_fp32_partitions} (sub-group {@code i} goes to the CPU when
 * {@code i >= int((1 - ratio) * n)}). Both parts run the same fused kernel, so the result is bit-identical to either
 * store alone. DeepSpeed reads {@code ratio} at stage 3 only (and then only with its CPU Adam); ds4j applies it at
 * whichever stage uses the store, with any element-wise kernel.
 */
public final class PartialOffloadStore implements OptimizerStateStore {
    private final ResidentStore onDevice;
    private final OptimizerStateStore offloaded;
    private final long split;
    private final StoreState lifecycle = new StoreState("partial optimizer store");

    PartialOffloadStore(ResidentStore onDevice, OptimizerStateStore offloaded) {
        this.onDevice = onDevice;
        this.offloaded = offloaded;
        this.split = onDevice.length();
    }

    /**
     * Sub-groups that stay on the device: DeepSpeed's {@code int((1 - ratio) * n)} in double precision.
     *
     * @param ratio     {@code offload_optimizer.ratio}, in [0, 1]
     * @param subGroups sub-groups of the shard
     */
    public static int deviceSubGroups(double ratio, int subGroups) {
        if (!(ratio >= 0 && ratio <= 1)) {
            throw new IllegalArgumentException("zero_optimization.offload_optimizer.ratio must be in [0, 1], got "
                    + ratio);
        }
        return (int) ((1 - ratio) * subGroups);
    }

    /** The part on the device (the first sub-groups). */
    public ResidentStore devicePart() {
        return onDevice;
    }

    /** The offloaded part (the remaining sub-groups). */
    public OptimizerStateStore offloadedPart() {
        return offloaded;
    }

    /** First element of the offloaded part. */
    public long split() {
        return split;
    }

    @Override
    public OffloadDevice device() {
        return offloaded.device();
    }

    @Override
    public long length() {
        return split + offloaded.length();
    }

    @Override
    public int stateWords() {
        return onDevice.stateWords();
    }

    @Override
    public void initialize(VectorStorage params) {
        Copies.checkLength("initial parameters", params, length());
        lifecycle.initialized();
        onDevice.initialize(Slices.of(params, 0, (int) split));
        offloaded.initialize(Slices.of(params, split, (int) offloaded.length()));
    }

    @Override
    public void restore(VectorStorage master, java.util.List<? extends VectorStorage> state) {
        Copies.checkLength("master", master, length());
        StoreState.checkWords(state.size(), stateWords());
        lifecycle.initialized();
        int off = (int) offloaded.length();
        onDevice.restore(Slices.of(master, 0, (int) split),
                state.stream().map(s -> Slices.of(s, 0, (int) split)).toList());
        offloaded.restore(Slices.of(master, split, off),
                state.stream().map(s -> Slices.of(s, split, off)).toList());
    }

    @Override
    public void step(FusedOptimizer optimizer, StepInput input, KernelPool pool) {
        lifecycle.requireReady("step");
        Copies.checkLength("gradients", input.gradients(), length());
        Copies.checkLength("compute copy", input.computeCopy(), length());
        StoreState.checkOptimizer(optimizer, stateWords(), true);
        try {
            onDevice.step(optimizer, input.slice(0, (int) split), pool);
            offloaded.step(optimizer, input.slice(split, (int) offloaded.length()), pool);
        } catch (RuntimeException | Error e) {
            lifecycle.failed();
            throw e;
        }
    }

    @Override
    public void readMaster(float[] dst, int offset) {
        onDevice.readMaster(dst, offset);
        offloaded.readMaster(dst, offset + (int) split);
    }

    @Override
    public void readState(int word, float[] dst, int offset) {
        onDevice.readState(word, dst, offset);
        offloaded.readState(word, dst, offset + (int) split);
    }

    @Override
    public void close() {
        if (!lifecycle.close()) {
            return;
        }
        try {
            onDevice.close();
        } finally {
            offloaded.close();
        }
    }
}
