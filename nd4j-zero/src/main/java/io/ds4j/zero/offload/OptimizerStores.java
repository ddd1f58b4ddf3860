package io.ds4j.zero.offload;

import java.util.Objects;

import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.config.OffloadOptimizerConfig;

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
        Objects.requireNonNull(config, "config");
        if (config.device() == OffloadDevice.NONE) {
            return ResidentStore.onDevice(request);
        }
        if (config.superOffload()) {
            throw new IllegalArgumentException("zero_optimization.offload_optimizer.super_offload: true is for"
                    + " Superchips (GH200/GB200) with CUDA and is not available with ND4J; set it to false");
        }
        int groups = request.subGroups().count();
        int keep = config.ratio() >= 1 ? 0 : PartialOffloadStore.deviceSubGroups(config.ratio(), groups);
        if (keep == 0) {
            return offloaded(config, request, memory, probe);
        }
        if (keep >= groups) {
            return ResidentStore.onDevice(request);
        }
        long split = Math.min(request.elements(), keep * request.subGroupSize());
        ResidentStore device = ResidentStore.onDevice(request.withElements(split));
        try {
            return new PartialOffloadStore(device,
                    offloaded(config, request.withElements(request.elements() - split), memory, probe));
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    private static OptimizerStateStore offloaded(OffloadOptimizerConfig config, StoreRequest request,
            HostMemory memory, FreeSpaceProbe probe) {
        return config.device() == OffloadDevice.CPU ? ResidentStore.onHost(request, memory, config.pinMemory())
                : NvmeStore.open(request, NvmeSettings.of(config, probe));
    }
}
