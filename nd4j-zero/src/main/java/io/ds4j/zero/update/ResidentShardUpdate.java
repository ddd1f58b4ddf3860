package io.ds4j.zero.update;

import io.ds4j.zero.kernels.BufferFp32;
import io.ds4j.zero.kernels.Fp32Storage;
import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.HeapFp32;
import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.Nd4jStorage;
import io.ds4j.zero.kernels.OptimizerBuffers;
import io.ds4j.zero.kernels.StepArgs;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The update of one shard with a DeepSpeed-semantics optimizer (an {@code optimizer} section): the fused kernel reads
 * the shard's averaged gradient times DeepSpeed's clip factor and updates the shard's fp32 parameters (which are the
 * master weights in fp32 training) and its own optimizer state, with the learning rate of the {@code scheduler}
 * section when there is one.
 *
 * <p>An element-wise kernel (Adam, Adagrad, Lion, SGD) reads the gradient and updates the parameters in the arrays'
 * own memory ({@link Nd4jStorage}, staged through the kernel's small per-thread tiles), so the step holds no copy of
 * the shard besides its optimizer state. Lamb sums each tensor's norms tile by tile, and its sums are those of one
 * tile per kernel part only over heap arrays, so Lamb keeps heap copies of the shard's parameters and gradient
 * (accounted as {@link #stagingElements()}).
 */
public final class ResidentShardUpdate implements ShardUpdate {

    private final DeepSpeedOptimizer optimizer;
    private final INDArray params;
    private final INDArray grads;
    private final int length;
    private final float[] master;   // Lamb only: heap copies (null for element-wise kernels)
    private final float[] gradient;
    private final List<float[]> state = new ArrayList<>();
    private final OptimizerBuffers buffers;
    private final LambTensors tensors;

    /**
     * @param tensors the range's parameter tensors, for Lamb's per-tensor trust ratio ({@link LambTensors}); null
     *                treats the range as one tensor (only right when it is one)
     */
    public ResidentShardUpdate(DeepSpeedOptimizer optimizer, INDArray paramRange, INDArray gradRange,
            LambTensors tensors) {
        this.tensors = tensors;
        this.optimizer = optimizer;
        FusedOptimizer kernel = optimizer.kernel();
        this.params = paramRange;
        this.grads = gradRange;
        int n = (int) paramRange.length();
        this.length = n;
        boolean copies = kernel instanceof io.ds4j.zero.kernels.FusedLamb && n > 0;
        this.master = copies ? new float[n] : null;
        this.gradient = copies ? new float[n] : null;
        List<Fp32Storage> stateStores = new ArrayList<>();
        for (int i = 0; i < kernel.stateWords(); i++) {
            float[] s = new float[n];
            state.add(s);
            stateStores.add(new HeapFp32(s, 0, n));
        }
        this.buffers = copies ? new OptimizerBuffers(new HeapFp32(gradient, 0, n), new HeapFp32(master, 0, n),
                stateStores, null) : null;
    }

    /** The buffers of one step: the heap copies (Lamb) or views of the arrays' memory, made current now. */
    private OptimizerBuffers stepBuffers() {
        if (buffers != null) {
            return buffers;
        }
        List<Fp32Storage> s = new ArrayList<>();
        for (float[] word : state) {
            s.add(new HeapFp32(word, 0, length));
        }
        return new OptimizerBuffers(Nd4jStorage.fp32(grads), Nd4jStorage.fp32(params), s, null);
    }

    /**
     * One optimizer step.
     *
     * @param iteration DL4J's iteration count (updates so far, from 0): DeepSpeed's optimizer step is
     *                  {@code iteration + 1} and its scheduler iteration {@code iteration - 1} (the first update uses
     *                  the learning rate the scheduler wrote at construction)
     * @param gradMultiplier DeepSpeed's {@code 1 / combined_scale} (clipping)
     * @param pool the kernel's threads
     */
    @Override
    public void apply(int iteration, double gradMultiplier, KernelPool pool) {
        if (length == 0) {
            return;
        }
        if (master != null) {
            HostFloats.read(params, master, 0);
            HostFloats.read(grads, gradient, 0);
        }
        OptimizerBuffers b = stepBuffers();
        StepArgs args = optimizer.args(iteration, gradMultiplier);
        FusedOptimizer kernel = optimizer.kernel();
        if (kernel instanceof io.ds4j.zero.kernels.FusedLamb lamb && tensors != null) {
            tensors.step(lamb, b, args, pool); // per-tensor trust ratios, as DeepSpeed's FusedLamb
        } else if (tensors != null && tensors.skipsFrozen()) {
            for (LambTensors.Piece p : tensors.pieces()) { // element-wise kernels: piece by piece is the same step
                kernel.step(piece(b, p.local()), args, pool);
            }
        } else {
            kernel.step(b, args, pool);
        }
        if (master != null) {
            HostFloats.write(master, 0, params);
        } else {
            HostFloats.written(params);
        }
    }

    /** The kernel's buffers restricted to {@code r} (the frozen elements between pieces stay untouched). */
    private static OptimizerBuffers piece(OptimizerBuffers b, io.ds4j.zero.shard.Range r) {
        int off = (int) r.offset();
        int len = (int) r.length();
        List<Fp32Storage> s = new ArrayList<>();
        for (Fp32Storage word : b.state()) {
            s.add(sub(word, off, len));
        }
        return new OptimizerBuffers(sub((Fp32Storage) b.gradients(), off, len), sub(b.master(), off, len), s, null);
    }

    /** Elements {@code [off, off + len)} of {@code v}, in its own memory. */
    private static Fp32Storage sub(Fp32Storage v, int off, int len) {
        if (v instanceof HeapFp32 h) {
            return new HeapFp32(h.array(), h.offset() + off, len);
        }
        BufferFp32 b = (BufferFp32) v;
        return new BufferFp32(b.buffer().slice(off, len), b.owner());
    }

    /** @return the kernel's state words per element */
    public int stateWords() {
        return state.size();
    }

    /** @return state word {@code w} of the shard, the array the kernel updates (checkpoints read and set it) */
    public float[] stateWord(int w) {
        return state.get(w);
    }

    /** @return optimizer state elements held */
    @Override
    public long stateElements() {
        return (long) state.size() * length;
    }

    /** @return the master and gradient copies of the shard (Lamb only; 0 for element-wise kernels) */
    @Override
    public long stagingElements() {
        return master == null ? 0 : 2L * length;
    }

    /** Nothing to release: the arrays are on the heap. */
    @Override
    public void close() {
    }
}
