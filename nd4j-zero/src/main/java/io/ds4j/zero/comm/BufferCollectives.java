package io.ds4j.zero.comm;

import java.nio.FloatBuffer;

/**
 * {@link Collectives} that also read a rank's vector where it already lives, in a {@link FloatBuffer} (an ND4J
 * array's native memory, see {@code HostFloats}), so that the caller makes no heap copy of it first. Same call order,
 * shape agreement and rank-order sums as {@link Collectives}; a rank may call the {@code float[]} form of the same
 * collective while another calls this one.
 */
public interface BufferCollectives extends Collectives {
    /**
     * Contiguous reduce-scatter of a tensor of {@code numel} elements read from {@code input} at indices
     * {@code [0, numel)} (absolute: the buffer's position and limit are not used or changed), seen as
     * {@code worldSize} blocks of {@code length} elements, the elements from {@code numel} on zero (the padding of
     * the last blocks). Rank r receives {@code sum over q of block r of rank q's input} in
     * {@code output[outputOffset, +length)}, bit-identical to {@link #reduceScatterSum(float[], int, int, float[],
     * int, int)} of the zero-padded tensor with stride {@code length}. {@code input} must stay unchanged until the
     * call returns on every rank (the others read it).
     *
     * @param numel elements of the tensor, at most {@code worldSize * length} and the buffer's capacity
     */
    void reduceScatterSum(FloatBuffer input, int numel, float[] output, int outputOffset, int length);

    /**
     * The all-gather of ranks whose output is one memory they all share (threads of one process: stage 3's module
     * buffers, see {@code SharedModuleMemory}): each rank has written its own block of at most {@code length}
     * elements into it before the call; when the call returns on a rank, every rank has, so the rank reads the
     * others' blocks where they were written (no copy is made). Same call order and shape agreement as the other
     * collectives; counted as the all-gather it stands for ({@code (worldSize - 1) * length} elements received).
     *
     * @param length the block length (the shard length of the gathered tensor)
     */
    void allGatherShared(int length);
}
