/**
 * Mixed precision for ds4j: DeepSpeed's {@code fp16} and {@code bf16} sections, the loss scale, fp16/bf16
 * conversions and overflow detection. Depends on nd4j-api only.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>fp32, fp16, bf16</b> ({@link io.ds4j.precision.Precision}): IEEE binary32; IEEE binary16 (5 exponent
 *       bits, largest finite 65504, subnormals down to 2^-24); bfloat16 (binary32's 8 exponent bits, 7 fraction
 *       bits). A 16-bit value travels as the bits of a {@code short}, or as the {@code float} of equal value.</li>
 *   <li><b>rounding</b>: always to nearest, ties to even, done in Java ({@link io.ds4j.precision.Fp16},
 *       {@link io.ds4j.precision.Bf16}, over arrays {@link io.ds4j.precision.Bulk16}); never through ND4J's bf16
 *       casts, which are wrong on the CPU backend.</li>
 *   <li><b>compute copy</b>: the parameters the network computes with. <b>master weights</b>: the fp32 copy the
 *       optimizer updates (sharded by ZeRO); always fp32 in ds4j.</li>
 *   <li><b>overflow</b>: any Inf or NaN in a gradient ({@link io.ds4j.precision.Overflow}); decided globally (any
 *       rank), it makes the whole step a <b>skipped step</b>: no parameter change, no LR schedule advance.</li>
 *   <li><b>loss scale</b> ({@link io.ds4j.precision.LossScale}): the factor the loss, hence every gradient, is
 *       multiplied by so that small fp16 gradients do not underflow; gradients are unscaled (multiplied by
 *       1/scale) in fp32 before the optimizer. Static, dynamic (DeepSpeed's window/hysteresis/min rules) or none.</li>
 *   <li><b>precision policy</b> ({@link io.ds4j.precision.PrecisionPolicy}): the format of the parameters, the
 *       compute, the gradients, the communication buffers and the master weights.</li>
 * </ul>
 *
 * <h2>What is computed in which type</h2>
 * <table>
 *   <caption>Per backend</caption>
 *   <tr><th></th><th>CPU backend (nd4j-native)</th><th>CUDA backend</th></tr>
 *   <tr><td>fp16</td>
 *     <td>The network computes in FLOAT on parameters rounded to exactly fp16-representable values; gradients
 *       (of the loss scaled by the current scale) are rounded to fp16 after the backward pass, so they underflow
 *       to 0 and overflow to Inf where fp16 gradients would. Intermediate activations are FLOAT, so they do not
 *       round or overflow like true fp16 activations: this is an emulation of fp16 storage, not of fp16
 *       arithmetic. Reason: ND4J's HALF matmul on CPU is about 600x slower than FLOAT.</td>
 *     <td>The network computes in HALF (ND4J {@code HALF}), gradients are HALF.</td></tr>
 *   <tr><td>bf16</td>
 *     <td colspan="2">The network computes in FLOAT on parameters rounded to exactly bf16-representable values;
 *       gradients are rounded to bf16; no loss scaling. DL4J rejects BFLOAT16 networks on both backends.</td></tr>
 *   <tr><td>both</td>
 *     <td colspan="2">Master weights, optimizer state, gradient unscaling, norms and clipping are fp32. Reduction
 *       buffers use {@code communication_data_type} (default: the training format).</td></tr>
 * </table>
 *
 * <h2>Differences from DeepSpeed</h2>
 * <ul>
 *   <li>DeepSpeed's ZeRO stage 0 fp16 optimizer halves the scale on every overflow and ignores {@code hysteresis};
 *       ds4j applies the same dynamic rules (hysteresis included) at every ZeRO stage.</li>
 *   <li>Overflow is found from exponent bits of every element, not from a sum that could itself overflow.</li>
 *   <li>{@code fp16_master_weights_and_grads} and {@code bf16_master_weights_and_grads} are rejected: masters are
 *       always fp32.</li>
 * </ul>
 */
package io.ds4j.precision;
