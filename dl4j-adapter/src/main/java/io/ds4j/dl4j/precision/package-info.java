/**
 * The DL4J side of mixed precision: the pieces that connect {@code io.ds4j.precision} (formats, loss scale) with the
 * nd4j-zero kernels and with a user's DL4J network, without touching the engine's step itself.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>16-bit format</b>: fp16 or bf16 as defined in {@link io.ds4j.precision}; a value travels as the bits of
 *       a {@code short}, or as the {@code float} of equal value.</li>
 *   <li><b>codec</b> ({@link io.ds4j.dl4j.precision.HalfCodec}): nd4j-zero's {@code ChunkCodec} for fp16 or bf16,
 *       so the fused optimizer kernels read 16-bit gradients and write a 16-bit compute copy. The two leaf modules do
 *       not know each other; this package composes them.</li>
 *   <li><b>loss scale holder</b> ({@link io.ds4j.dl4j.precision.LossScaleHolder}): the current loss scale as the
 *       engine sets it before each step; read by the network's loss functions during the backward pass.</li>
 *   <li><b>scaled loss</b> ({@link io.ds4j.dl4j.precision.ScaledLoss}): an output layer's own loss function with
 *       its gradient, and only its gradient, multiplied by the current scale; the score is untouched.
 *       {@link io.ds4j.dl4j.precision.ScaledLossInstaller} swaps it into every output layer for the duration of
 *       training and puts the original object back on {@code close()}.</li>
 *   <li><b>summed gradient</b>: DL4J's flat gradient, the sum over the micro-batch of the per-example gradients.
 *       <b>stored gradient</b>: what DeepSpeed would hold, {@code scale * (gradient of the mean loss)} rounded to the
 *       16-bit format; {@link io.ds4j.dl4j.precision.GradientCast} turns the first into the second and reports
 *       overflow (any Inf or NaN after rounding).</li>
 * </ul>
 *
 * <h2>Where the scale enters (decision)</h2>
 * A HALF network (HALF compute: fp16 on the CUDA backend, or when asked) must get the scale through the loss gradient
 * ({@link io.ds4j.dl4j.precision.ScaledLoss}, which then computes the loss in FLOAT and rounds the scaled gradient to
 * HALF once) for small gradients to survive the backward pass. A FLOAT network (the CPU backend's default)
 * computes in FLOAT, where multiplying the loss gradient by a power of two or multiplying the summed
 * gradient afterwards gives the same bits (barring fp32 overflow); {@link io.ds4j.dl4j.precision.GradientCast} takes
 * the factor still to apply, so the engine may use either route. Scaling the loss gradient changes what DL4J's
 * per-layer gradient clipping ({@code GradientNormalization.ClipElementWiseAbsoluteValue}, {@code ClipL2PerLayer},
 * {@code ClipL2PerParamType}) sees; the engine must unscale before that normalization, as DeepSpeed unscales before
 * clipping.
 *
 * <h2>One fp16 step with these pieces (for the engine)</h2>
 * <ol>
 *   <li>Before training: {@code ScaledLossInstaller.install(net, holder)} (try-with-resources around training).</li>
 *   <li>Before each backward pass: {@code holder.set(lossScale.value())}.</li>
 *   <li>After it: {@code overflow = GradientCast.fp16().cast(flatGradient, 0, n, m, 1.0, stored, 0)} (factor 1: the
 *       scale is already in the gradient; {@code m} = micro-batch size, so DL4J's own division by the minibatch
 *       size must not be applied again), or {@code roundInPlace(flatGradientView, m, 1.0)} to keep the stored values
 *       in the FLOAT view; reduce the flag over ranks (any rank overflowed = the step overflowed).</li>
 *   <li>Overflow: skip the step, {@code lossScale = lossScale.afterStep(true)}. Otherwise run the fused kernel with
 *       {@code VectorStorage.of(stored, off, len, HalfCodec.FP16)} as gradients and
 *       {@code StepArgs.unscaleAndClip(scale, norm, gradient_clipping)} as multiplier; an fp16 compute copy is
 *       {@code VectorStorage.of(shorts, off, len, HalfCodec.FP16)}, or (FLOAT parameters on the CPU) the fp32
 *       parameters rounded afterwards with {@code Bulk16.FP16.roundInPlace(view)}.</li>
 *   <li>bf16: the same with {@link io.ds4j.dl4j.precision.HalfCodec#BF16}, {@code GradientCast.bf16()} and factor
 *       1 without the installer (no loss scaling).</li>
 * </ol>
 */
package io.ds4j.dl4j.precision;
