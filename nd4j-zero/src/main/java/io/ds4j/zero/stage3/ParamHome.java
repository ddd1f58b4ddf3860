package io.ds4j.zero.stage3;

import io.ds4j.zero.config.OffloadDevice;
import io.ds4j.zero.kernels.ChunkCodec;
import io.ds4j.zero.config.OffloadParamConfig;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import io.ds4j.zero.offload.FreeSpaceProbe;
import java.nio.file.Path;

/**
 * Where one rank keeps its parameter shards between uses ({@code zero_optimization.offload_param.device}). In fp32
 * the shard is the optimizer's fp32 master and exists once:
 * <ul>
 *   <li>{@code none}: an ND4J array on the device ({@link MasterShardStore}), updated in place;</li>
 *   <li>{@code cpu}: a Java array on the host ({@link HeapShardStore}, ledger HOST); the device holds none of it
 *       between uses, only what a gather or a sub-group of the optimizer step brings there for the moment;</li>
 *   <li>{@code nvme}: a file in a private directory of the rank under {@code nvme_path} ({@link FileShardStore},
 *       ledger DISK), read and written through {@code buffer_count} host buffers of at most {@code buffer_size}
 *       elements ({@link ParamSwapBuffers}); created here and deleted by {@link #close()}.</li>
 * </ul>
 * In mixed precision (fp16, bf16) the shard the gathers read is a 16-bit copy (on the device, the host, or a file of
 * rounded FLOAT values), and the fp32 master stays with the optimizer on the device (ledger {@code MASTER_WEIGHTS}),
 * as DeepSpeed keeps its fp32 partitions with the optimizer apart from the parameter partitions; the copy is refreshed
 * from the master after every optimizer step ({@link OffloadedShardStore#sync()}).
 */
public final class ParamHome implements AutoCloseable {
    private final OffloadDevice device;
    private final Path dir;
    private final OffloadParamConfig config;
    private ParamSwapBuffers swap;
    private ChunkCodec format;  // null: fp32
    private int files;

    private ParamHome(OffloadDevice device, Path dir, OffloadParamConfig config) {
        this.device = device;
        this.dir = dir;
        this.config = config;
    }

    /**
     * Sets the format the shards the gathers read are kept in: fp32 (the default, {@code null}), or a 16-bit format
     * (fp16/bf16, given by its codec: the adapter's, over the mixed-precision module) for mixed precision, where
     * every store pairs the fp32 master (ledger {@code MASTER_WEIGHTS}) with a 16-bit copy: 2 B per element on the
     * device or the host, or a file of FLOAT values rounded to the format on nvme.
     *
     * @param half the 16-bit format's codec, or null for fp32
     * @return this home
     */
    public ParamHome format(ChunkCodec half) {
        this.format = half;
        return this;
    }

    /** No parameter offload. */
    public static ParamHome device() {
        return new ParamHome(OffloadDevice.NONE, null, OffloadParamConfig.none());
    }

    /**
     * The home {@code config} asks for on {@code rank}; for nvme, checks {@code nvme_path} and creates the rank's
     * directory.
     *
     * @param requiredBytes the rank's shard bytes (for the free-space check)
     */
    public static ParamHome of(OffloadParamConfig config, int rank, long requiredBytes) {
        return switch (config.device()) {
            case NONE -> device();
            case CPU -> new ParamHome(OffloadDevice.CPU, null, config);
            case NVME -> nvme(config, rank, requiredBytes);
        };
    }

    private static ParamHome nvme(OffloadParamConfig config, int rank, long requiredBytes) {
        ParamSwapBuffers.check(config.bufferCount(), config.bufferSize()); // before a directory exists
        Path dir = ParamNvmePath.createRankDirectory(config.nvmePath(), rank, requiredBytes,
                FreeSpaceProbe.fileStore());
        return new ParamHome(OffloadDevice.NVME, dir, config);
    }

    /** A store for a shard of {@code length} elements of which {@code owned} are real (the rest padding). */
    public ShardStore store(int length, int owned, MemoryLedger ledger, String label) {
        if (format == null) {
            return switch (device) {
                case NONE -> new MasterShardStore(length, owned, ledger, label + " (fp32 master)");
                case CPU -> new HeapShardStore(length, ledger, MemoryTier.HOST, label + " (fp32 master, offloaded to"
                        + " cpu)");
                case NVME -> file(length, ledger);
            };
        }
        MasterShardStore master = new MasterShardStore(length, owned, ledger, MemoryCategory.MASTER_WEIGHTS,
                label + " (fp32 master)");
        return new OffloadedShardStore(master, copy(length, ledger, label));
    }

    /**
     * Whether a shard can be kept in place in the network's own parameters ({@link MasterShardStore#inPlace}): fp32,
     * where the shard is the fp32 master and nothing else holds it, without parameter offload or with
     * {@code offload_param.device: cpu} (the caller's to allow only where the network's memory is host memory, the
     * CPU backend); never nvme.
     */
    public boolean allowsInPlace() {
        return format == null && device != OffloadDevice.NVME;
    }

    /**
     * A shard of {@code length} elements whose owned elements are {@code view}, in place (null: the rank owns none
     * of the tensor); see {@link MasterShardStore#inPlace}. Entered in the ledger on the device, or on the host with
     * {@code offload_param.device: cpu}.
     *
     * @throws IllegalStateException when this home does not allow it ({@link #allowsInPlace()})
     */
    public ShardStore storeInPlace(int length, org.nd4j.linalg.api.ndarray.INDArray view, MemoryLedger ledger,
                                   String label) {
        if (!allowsInPlace()) {
            throw new IllegalStateException("a shard in place in the network's parameters needs fp32 and no nvme"
                    + " offload_param; this home keeps " + (format == null ? "fp32" : format.name()) + " shards on "
                    + device);
        }
        boolean host = device == OffloadDevice.CPU;
        return MasterShardStore.inPlace(length, view, ledger, host ? MemoryTier.HOST : MemoryTier.DEVICE,
                label + " (fp32 master, in place in the network's parameters" + (host ? ", host memory)" : ")"));
    }

    private ShardStore copy(int length, MemoryLedger ledger, String label) {
        String half = label + " (" + format.name();
        return switch (device) {
            case NONE -> new HalfShardStore(format, length, ledger, MemoryTier.DEVICE, half + ")");
            case CPU -> new HalfShardStore(format, length, ledger, MemoryTier.HOST, half + ", offloaded to cpu)");
            case NVME -> HalfShardStore.rounding(format, file(length, ledger));
        };
    }

    private ShardStore file(int length, MemoryLedger ledger) {
        if (swap == null) {
            swap = new ParamSwapBuffers(config.bufferCount(), config.bufferSize(), ledger);
        }
        return new FileShardStore(dir, String.format("param-%06d.f32", files++), length, swap, ledger);
    }

    /**
     * The most bytes of released transient buffers a rank keeps pooled between steps ({@link TransientBuffers}):
     * without parameter offload, no limit beyond the pool's own (the most held at once); with {@code offload_param},
     * which asks for the least memory held between steps, its swap budget, {@code buffer_count x buffer_size}
     * elements.
     */
    public long pooledBytesBetweenSteps() {
        return device == OffloadDevice.NONE ? Long.MAX_VALUE
                : Float.BYTES * Math.min(Long.MAX_VALUE / 8, (long) config.bufferCount() * config.bufferSize());
    }

    /** The nvme swap buffers (null before the first nvme store, and without nvme). */
    public ParamSwapBuffers swapBuffers() {
        return swap;
    }

    /** @return the rank's nvme directory, or null */
    Path directory() {
        return dir;
    }

    /** Deletes the nvme directory (the stores must be closed first). */
    @Override
    public void close() {
        if (swap != null) {
            swap.close();
        }
        if (dir != null) {
            ParamNvmePath.delete(dir);
        }
    }
}
