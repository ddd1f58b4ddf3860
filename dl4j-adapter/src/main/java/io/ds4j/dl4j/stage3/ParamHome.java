package io.ds4j.dl4j.stage3;

import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.config.OffloadParamConfig;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.offload.FreeSpaceProbe;
import io.ds4j.zero.stage3.FileShardStore;
import io.ds4j.zero.stage3.HeapShardStore;
import io.ds4j.zero.stage3.ParamNvmePath;
import io.ds4j.zero.stage3.ShardStore;
import io.ds4j.precision.Precision;
import java.nio.file.Path;

/**
 * Where one rank keeps its parameter shards between uses ({@code zero_optimization.offload_param.device}):
 * <ul>
 *   <li>{@code none}: the shard is the optimizer's fp32 master ({@link MasterShardStore}, device tier);</li>
 *   <li>{@code cpu}: the shard the gathers read is a host copy ({@link HeapShardStore}, host tier);</li>
 *   <li>{@code nvme}: it is a file in a private directory of the rank under {@code nvme_path}
 *       ({@link FileShardStore}, disk tier), created here and deleted by {@link #close()}.</li>
 * </ul>
 * With offload the fp32 master stays with the optimizer (ledger {@code MASTER_WEIGHTS}), as DeepSpeed's stage 3 keeps
 * its fp32 partitions in the optimizer apart from the parameter partitions; the offloaded copy is refreshed from it
 * after every optimizer step ({@link OffloadedShardStore#sync()}), so it is the same float values and training is
 * bit-identical to no offload.
 */
final class ParamHome implements AutoCloseable {
    private final OffloadDevice device;
    private final Path dir;
    private Precision format = Precision.FP32;
    private int files;

    private ParamHome(OffloadDevice device, Path dir) {
        this.device = device;
        this.dir = dir;
    }

    /**
     * Sets the format the shards the gathers read are kept in: fp32 (the default), or fp16/bf16 for mixed precision,
     * where every store pairs the fp32 master (ledger {@code MASTER_WEIGHTS}) with a 16-bit copy: 2 B per element on
     * the device or the host, or a file of FLOAT values rounded to the format on nvme.
     *
     * @return this home
     */
    ParamHome format(Precision parameters) {
        this.format = java.util.Objects.requireNonNull(parameters, "parameter precision");
        return this;
    }

    /** No parameter offload. */
    static ParamHome device() {
        return new ParamHome(OffloadDevice.NONE, null);
    }

    /**
     * The home {@code config} asks for on {@code rank}; for nvme, checks {@code nvme_path} and creates the rank's
     * directory.
     *
     * @param requiredBytes the rank's shard bytes (for the free-space check)
     */
    static ParamHome of(OffloadParamConfig config, int rank, long requiredBytes) {
        return switch (config.device()) {
            case NONE -> device();
            case CPU -> new ParamHome(OffloadDevice.CPU, null);
            case NVME -> new ParamHome(OffloadDevice.NVME, ParamNvmePath.createRankDirectory(config.nvmePath(), rank,
                    requiredBytes, FreeSpaceProbe.fileStore()));
        };
    }

    /** A store for a shard of {@code length} elements of which {@code owned} are real (the rest padding). */
    ShardStore store(int length, int owned, MemoryLedger ledger, String label) {
        if (device == OffloadDevice.NONE && format == Precision.FP32) {
            return new MasterShardStore(length, owned, ledger, label + " (fp32 master)");
        }
        MasterShardStore master = new MasterShardStore(length, owned, ledger, MemoryCategory.MASTER_WEIGHTS,
                label + " (fp32 master)");
        return new OffloadedShardStore(master, copy(length, ledger, label));
    }

    private ShardStore copy(int length, MemoryLedger ledger, String label) {
        boolean half = format != Precision.FP32;
        return switch (device) {
            case NONE -> new HalfShardStore(format, length, ledger, MemoryTier.DEVICE, label + " (" + format.key()
                    + ")");
            case CPU -> half ? new HalfShardStore(format, length, ledger, MemoryTier.HOST, label + " ("
                    + format.key() + ", offloaded to cpu)")
                    : new HeapShardStore(length, ledger, MemoryTier.HOST, label + " (offloaded to cpu)");
            case NVME -> {
                ShardStore file = new FileShardStore(dir, String.format("param-%06d.f32", files++), length, ledger);
                yield half ? HalfShardStore.rounding(format, file) : file;
            }
        };
    }

    /** @return the rank's nvme directory, or null */
    Path directory() {
        return dir;
    }

    /** Deletes the nvme directory (the stores must be closed first). */
    @Override
    public void close() {
        if (dir != null) {
            ParamNvmePath.delete(dir);
        }
    }
}
