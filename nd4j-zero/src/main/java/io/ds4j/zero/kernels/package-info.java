/**
 * Fused CPU optimizer kernels: one pass over a shard reads the gradient (fp32 or 16-bit, unscaled on the fly),
 * updates the fp32 master and the optimizer state, and writes the compute copy in its storage type. Multi-threaded
 * over contiguous parts of the shard ({@link io.ds4j.zero.kernels.KernelPool}).
 *
 * <p>Vocabulary:
 * <ul>
 *   <li><b>storage</b> ({@link io.ds4j.zero.kernels.VectorStorage}): where a vector's elements live and in which
 *       format: a heap {@code float[]} range, a {@link java.nio.FloatBuffer} (off-heap, e.g. an ND4J buffer), or
 *       16-bit values in a {@code short[]} / {@link java.nio.ShortBuffer} converted by a
 *       {@link io.ds4j.zero.kernels.ChunkCodec}. The master and the state are always fp32.</li>
 *   <li><b>codec</b>: converts a chunk of 16-bit values to fp32 and back. fp16 and bf16 codecs live in the
 *       mixed-precision module and are plugged in by the adapter; this module knows no 16-bit format.</li>
 *   <li><b>gradient multiplier</b>: the factor applied to each gradient as it is read, {@code 1 / combined_scale}
 *       where DeepSpeed's combined scale is the loss scale times the clipping factor
 *       ({@link io.ds4j.zero.kernels.StepArgs#unscaleAndClip}).</li>
 *   <li><b>tile</b>: a run of at most 4096 elements processed by one thread in one
 *       go; off-heap and 16-bit data are staged through per-thread fp32 scratch tiles, heap fp32 is used in place.
 *       </li>
 *   <li><b>tensor</b> (Lamb only): a range of the flat vector whose norms give one trust ratio.</li>
 *   <li><b>step</b>: DeepSpeed's optimizer step count, 1 for the first update (bias correction uses it).</li>
 * </ul>
 *
 * <p>The formulas are DeepSpeed 0.19.6's CPU kernels (csrc/adam, csrc/adagrad, csrc/lion), its FusedLamb, and
 * PyTorch's SGD; each class documents its formula and where it differs from a textbook version.
 */
package io.ds4j.zero.kernels;
