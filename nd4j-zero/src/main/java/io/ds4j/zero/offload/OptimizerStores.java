package io.ds4j.zero.offload;

import java.util.Objects;

import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.config.OffloadOptimizerConfig;
import io.ds4j.zero.kernels.Fp32Storage;

/** Opens the {@link OptimizerStateStore} that {@code zero_optimization.offload_optimizer} asks for. */
public final class OptimizerStores {
    private OptimizerStores() {
    }

    /** Opens a store with heap host memory and the real free-space probe. */
    public static OptimizerStateStore open(OffloadOptimizerConfig config, StoreRequest request) {
        return open(config, request, HostMemory.HEAP, FreeSpaceProbe.fileStore());
    }

    /**
     * Opens the store for {@code config.device()}: none: {@link ResidentStore#onDevice}; cpu:
     * {@link ResidentStore#onHost}; nvme: {@link NvmeStore}; with {@code ratio < 1} a {@link PartialOffloadStore}
     * whose first sub-groups stay on the device ({@code ratio} is ignored without offload, as in DeepSpeed).
     *
     * @throws IllegalArgumentException naming the key for settings that cannot work here (a bad {@code nvme_path},
     *                                  too few buffers, {@code super_offload})
     */
    public static OptimizerStateStore open(OffloadOptimizerConfig config, StoreRequest request, HostMemory memory,
            FreeSpaceProbe probe) {
        return open(config, request, memory, probe, null);
    }

    /**
     * Opens a store whose master is {@code master} itself, stepped in place: the shard's fp32 values already in host
     * memory (the rank's own parameters, or its fp32 master copy, on ND4J's CPU backend). The store holds only the
     * optimizer state (in host memory with {@code cpu}, in files streamed through {@code K}-vector slots with
     * {@code nvme}), so the rank keeps one fp32 copy of its shard instead of two; the kernel computes the same floats
     * in the same order, and {@link OptimizerStateStore#readMaster} reads {@code master}. Only for memory the host
     * addresses: with a device the host cannot (CUDA), use {@link #open(OffloadOptimizerConfig, StoreRequest)}.
     *
     * @param master the shard's fp32 values, {@code request.elements()} long
     */
    public static OptimizerStateStore openInPlace(OffloadOptimizerConfig config, StoreRequest request,
            Fp32Storage master) {
        Objects.requireNonNull(master, "master");
        return open(config, request, HostMemory.HEAP, FreeSpaceProbe.fileStore(), master);
    }

    private static OptimizerStateStore open(OffloadOptimizerConfig config, StoreRequest request, HostMemory memory,
            FreeSpaceProbe probe, Fp32Storage master) {
        Objects.requireNonNull(config, "config");
        Copies.checkLength("the parameters stepped in place", master, request.elements());
        if (config.device() == OffloadDevice.NONE) {
            return ResidentStore.onDevice(request, master);
        }
        if (config.superOffload()) {
            throw new IllegalArgumentException("zero_optimization.offload_optimizer.super_offload: true is for"
                    + " Superchips (GH200/GB200) with CUDA and is not available with ND4J; set it to false");
        }
        int groups = request.subGroups().count();
        int keep = config.ratio() >= 1 ? 0 : PartialOffloadStore.deviceSubGroups(config.ratio(), groups);
        if (keep == 0) {
            return offloaded(config, request, memory, probe, master);
        }
        if (keep >= groups) {
            return ResidentStore.onDevice(request, master);
        }
        long split = Math.min(request.elements(), keep * request.subGroupSize());
        int rest = Math.toIntExact(request.elements() - split);
        ResidentStore device = ResidentStore.onDevice(request.withElements(split),
                master == null ? null : Slices.of(master, 0, (int) split));
        try {
            return new PartialOffloadStore(device, offloaded(config, request.withElements(rest), memory, probe,
                    master == null ? null : Slices.of(master, split, rest)));
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    private static OptimizerStateStore offloaded(OffloadOptimizerConfig config, StoreRequest request,
            HostMemory memory, FreeSpaceProbe probe, Fp32Storage master) {
        return config.device() == OffloadDevice.CPU ? ResidentStore.onHost(request, memory, config.pinMemory(), master)
                : NvmeStore.open(request, NvmeSettings.of(config, probe), master);
    }
}
