package io.ds4j.zero.update;

import io.ds4j.zero.config.ZeroConfig;
import io.ds4j.zero.kernels.Fp32Storage;
import io.ds4j.zero.kernels.HeapFp32;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.Nd4jStorage;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.kernels.VectorStorage;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.offload.HostTransfer;
import io.ds4j.zero.offload.OptimizerStateStore;
import io.ds4j.zero.offload.OptimizerStores;
import io.ds4j.zero.offload.StepInput;
import io.ds4j.zero.offload.StoreRequest;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The shard's update with {@code zero_optimization.offload_optimizer} on (stage 1 or 2): the rank's fp32 master
 * shard and optimizer state live in an {@link OptimizerStateStore} on the host ({@code "cpu"}) or in files under
 * {@code nvme_path} ({@code "nvme"}), processed {@code sub_group_size} elements at a time. Each step the reduced
 * gradient shard goes down to the store ({@link HostTransfer}; on ND4J's CPU backend nothing is copied), the fused
 * kernel updates master and state there, and the updated parameters are written straight into the replica's
 * parameter view (the compute copy). The store records its bytes in the rank's ledger in its own tier.
 *
 * <p>On ND4J's CPU backend ({@link HostTransfer.Mode#SHARED}) the range handed in is fp32 memory the host addresses
 * (the replica's parameters in fp32 training, the engine's fp32 master copy in mixed precision), and it equals the
 * master after every step. So the store steps it in place ({@link OptimizerStores#openInPlace}) and holds only the
 * optimizer state: with {@code cpu} 8 B per element of the shard for Adam instead of 12 (DeepSpeed clones its fp32
 * partition, {@code single_partition_of_fp32_groups}, also in fp32 training), with {@code nvme} files and swap
 * slots of the two moments only, no master stream. The kernel computes the same floats in the same order:
 * bit-identical to the copy. With a device the host cannot address (CUDA), the store keeps a master of its own, set
 * from the network's parameters once, when the trainer is built, and the reference from then on (as DeepSpeed's
 * offloaded fp32 partition is); in fp32 training the compute copy equals that master after every step, so the result
 * is bit-identical to the step without offload either way.
 */
public final class OffloadedShardUpdate implements ShardUpdate {

    private final DeepSpeedOptimizer update;
    private final OptimizerStateStore store;
    private final HostTransfer transfer;
    private final VectorStorage params;
    private final VectorStorage grads;
    private final boolean inPlace;

    private OffloadedShardUpdate(DeepSpeedOptimizer update, OptimizerStateStore store, HostTransfer transfer,
            INDArray paramRange, INDArray gradRange) {
        this.update = update;
        this.store = store;
        this.transfer = transfer;
        this.params = storage(paramRange);
        this.grads = storage(gradRange);
        this.inPlace = transfer.mode() == HostTransfer.Mode.SHARED;
    }

    private static VectorStorage storage(INDArray range) {
        return range.length() == 0 ? new HeapFp32(new float[0], 0, 0) : Nd4jStorage.fp32(range);
    }

    /**
     * Opens the store that {@code zero.offloadOptimizer()} asks for and loads the shard's current parameters into its
     * master.
     *
     * @param update the kernel and learning rate
     * @param zero {@code zero_optimization} ({@code offload_optimizer}, {@code sub_group_size})
     * @param paramRange the replica's parameter view of the rank's update range
     * @param gradRange the replica's gradient view of the same range
     * @param ledger the rank's ledger (also names the rank's nvme directory)
     * @return the step
     * @throws IllegalArgumentException naming the key when the offload settings cannot work (nvme_path,
     *                                  buffer_count, an optimizer that cannot be offloaded)
     */
    public static OffloadedShardUpdate open(DeepSpeedOptimizer update, ZeroConfig zero, INDArray paramRange,
            INDArray gradRange, MemoryLedger ledger) {
        long subGroup = Math.max(1, zero.stage3().subGroupSize());
        StoreRequest request = new StoreRequest(ledger.rank(), paramRange.length(), update.kernel().stateWords(),
                subGroup, ledger);
        HostTransfer transfer = HostTransfer.forCurrentBackend(ledger);
        OptimizerStateStore store = null;
        try {
            VectorStorage params = storage(paramRange);
            store = transfer.mode() == HostTransfer.Mode.SHARED && params instanceof Fp32Storage f
                    ? OptimizerStores.openInPlace(zero.offloadOptimizer(), request, f)
                    : OptimizerStores.open(zero.offloadOptimizer(), request);
            OffloadedShardUpdate step = new OffloadedShardUpdate(update, store, transfer, paramRange, gradRange);
            store.initialize(step.params);
            return step;
        } catch (RuntimeException e) {
            if (store != null) {
                store.close();
            }
            transfer.close();
            throw e;
        }
    }

    @Override
    public void apply(int iteration, double gradMultiplier, KernelPool pool) {
        if (store.length() == 0) {
            return;
        }
        StepArgs args = update.args(iteration, gradMultiplier);
        // in place the kernel's master is the range itself: no compute copy to write
        transfer.step(store, update.kernel(), new StepInput(grads, args, inPlace ? null : params), pool);
    }

    /** @return the store (tests: its master and state) */
    public OptimizerStateStore store() {
        return store;
    }

    @Override
    public long stateElements() {
        return 0;
    }

    @Override
    public long stagingElements() {
        return 0;
    }

    @Override
    public void close() {
        try {
            store.close();
        } finally {
            transfer.close();
        }
    }
}
