package io.ds4j.dl4j.stage3;

import io.ds4j.schedules.LrSchedule;
import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.Fp32Storage;
import io.ds4j.zero.kernels.HeapFp32;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.OptimizerBuffers;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A DeepSpeed {@code optimizer} section (and its {@code scheduler}) at stage 3: one fused kernel
 * ({@link FusedOptimizer}) updating each owned piece of a parameter's fp32 master shard in place, with its own
 * optimizer state per piece, reading the piece's averaged (and, in mixed precision, unscaled) gradient times
 * DeepSpeed's clip factor. The kernels are element-wise (Adam, AdamW, SGD, Adagrad, Lion), so updating the pieces one
 * by one is the same arithmetic as updating a flat range of them at stages 0-2.
 *
 * @param kernel   the fused optimizer
 * @param lr       {@code optimizer.params.lr}
 * @param schedule the {@code scheduler} section's learning rate, or null for a constant {@code lr}
 */
public record FusedShardUpdate(FusedOptimizer kernel, double lr, LrSchedule schedule) {
    /** Checks the kernel. */
    public FusedShardUpdate {
        Objects.requireNonNull(kernel, "kernel");
    }

    /** DeepSpeed's learning rate for DL4J iteration {@code iteration} (the scheduler's iteration is one less). */
    double rate(int iteration) {
        return schedule == null ? lr : schedule.lr(iteration - 1L);
    }

    /** The state and staging of the pieces of one rank. */
    static final class Pieces {
        private final FusedShardUpdate update;
        private final List<INDArray> masters = new ArrayList<>();
        private final List<INDArray> grads = new ArrayList<>();
        private final List<float[]> masterCopy = new ArrayList<>();
        private final List<float[]> gradCopy = new ArrayList<>();
        private final List<OptimizerBuffers> buffers = new ArrayList<>();
        private final KernelPool pool = new KernelPool(1);

        Pieces(FusedShardUpdate update) {
            this.update = update;
        }

        /** Adds a piece: its fp32 master and gradient arrays (the ranges the rank owns). */
        void add(INDArray master, INDArray grad, MemoryLedger ledger) {
            int n = (int) master.length();
            float[] m = new float[n];
            float[] g = new float[n];
            List<Fp32Storage> state = new ArrayList<>();
            for (int i = 0; i < update.kernel().stateWords(); i++) {
                state.add(new HeapFp32(new float[n], 0, n));
            }
            ledger.allocate(MemoryCategory.OPTIMIZER_STATE, MemoryTier.DEVICE, 4L * n * state.size(),
                    "stage3 optimizer state (" + update.kernel().getClass().getSimpleName() + ")");
            ledger.allocate(MemoryCategory.COMM_BUFFERS, MemoryTier.DEVICE, 8L * n,
                    "stage3 fused-kernel staging (master and gradient copies)");
            masters.add(master);
            grads.add(grad);
            masterCopy.add(m);
            gradCopy.add(g);
            buffers.add(new OptimizerBuffers(new HeapFp32(g, 0, n), new HeapFp32(m, 0, n), state, null));
        }

        /** One step of every piece: DeepSpeed's step {@code iteration + 1} with the gradient multiplier. */
        void apply(int iteration, double gradMultiplier) {
            StepArgs args = new StepArgs(iteration + 1L, (float) update.rate(iteration), (float) gradMultiplier);
            for (int i = 0; i < buffers.size(); i++) {
                FloatBuffer mb = masters.get(i).data().asNioFloat();
                FloatBuffer gb = grads.get(i).data().asNioFloat();
                float[] m = masterCopy.get(i);
                mb.get(0, m);
                gb.get(0, gradCopy.get(i));
                update.kernel().step(buffers.get(i), args, pool);
                mb.put(0, m);
            }
        }

        /** Stops the kernel's threads. */
        void close() {
            pool.close();
        }
    }
}
