package io.ds4j.zero.update;

import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.HeapFp32;
import io.ds4j.zero.kernels.HostFloats;
import io.ds4j.zero.kernels.KernelPool;
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
 */
public final class ResidentShardUpdate implements ShardUpdate {

    private final DeepSpeedOptimizer optimizer;
    private final INDArray params;
    private final INDArray grads;
    private final float[] master;
    private final float[] gradient;
    private final List<float[]> state = new ArrayList<>();
    private final OptimizerBuffers buffers;
    private final LambTensors tensors;

    /**
     * @param tensors the range's parameter tensors, for Lamb's per-tensor trust ratio ({@link LambTensors}); null
     *                treats the range as one tensor (only right when it is one)
     */
    public ResidentShardUpdate(DeepSpeedOptimizer optimizer, INDArray paramRange, INDArray gradRange, LambTensors tensors) {
        this.tensors = tensors;
        this.optimizer = optimizer;
        FusedOptimizer kernel = optimizer.kernel();
        this.params = paramRange;
        this.grads = gradRange;
        int n = (int) paramRange.length();
        this.master = new float[n];
        this.gradient = new float[n];
        List<io.ds4j.zero.kernels.Fp32Storage> stateStores = new ArrayList<>();
        for (int i = 0; i < kernel.stateWords(); i++) {
            float[] s = new float[n];
            state.add(s);
            stateStores.add(new HeapFp32(s, 0, n));
        }
        this.buffers = new OptimizerBuffers(new HeapFp32(gradient, 0, n), new HeapFp32(master, 0, n), stateStores,
                null);
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
        if (master.length == 0) {
            return;
        }
        HostFloats.read(params, master, 0);
        HostFloats.read(grads, gradient, 0);
        StepArgs args = optimizer.args(iteration, gradMultiplier);
        FusedOptimizer kernel = optimizer.kernel();
        if (kernel instanceof io.ds4j.zero.kernels.FusedLamb lamb && tensors != null) {
            tensors.step(lamb, buffers, args, pool); // per-tensor trust ratios, as DeepSpeed's FusedLamb
        } else if (tensors != null && tensors.skipsFrozen()) {
            for (LambTensors.Piece p : tensors.pieces()) { // element-wise kernels: piece by piece is the same step
                kernel.step(piece(p.local()), args, pool);
            }
        } else {
            kernel.step(buffers, args, pool);
        }
        HostFloats.write(master, 0, params);
    }

    /** The kernel's buffers restricted to {@code r} (the frozen elements between pieces stay untouched). */
    private OptimizerBuffers piece(io.ds4j.zero.shard.Range r) {
        int off = (int) r.offset();
        int len = (int) r.length();
        List<io.ds4j.zero.kernels.Fp32Storage> s = new ArrayList<>();
        for (float[] word : state) {
            s.add(new HeapFp32(word, off, len));
        }
        return new OptimizerBuffers(new HeapFp32(gradient, off, len), new HeapFp32(master, off, len), s, null);
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
        return (long) state.size() * master.length;
    }

    /** @return the master and gradient copies of the shard */
    @Override
    public long stagingElements() {
        return 2L * master.length;
    }

    /** Nothing to release: the arrays are on the heap. */
    @Override
    public void close() {
    }
}
