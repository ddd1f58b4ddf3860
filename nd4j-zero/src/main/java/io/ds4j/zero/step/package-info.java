/**
 * The sharded optimizer step of ZeRO stages 0, 1 and 2, and the pieces of it that follow DeepSpeed's formulas.
 *
 * <p>Vocabulary (used across ds4j): a <b>rank</b> is one data-parallel replica, the <b>world size</b> how many there
 * are; the <b>flat vector</b> is the network's parameters (and gradients, and optimizer state) laid out as one 1-D
 * array; a rank's <b>shard</b> is its contiguous slice of that vector; a <b>bucket</b> is a contiguous group of
 * elements communicated together.
 *
 * <p>Gradient scaling follows DeepSpeed: gradients are averaged over every sample of the global batch
 * ({@code train_batch_size = micro batch x gradient_accumulation_steps x world size}); clipping
 * ({@link io.ds4j.zero.step.GradientClipping}) acts on that average, with the norm taken across all shards.
 *
 * <p>The stages are types ({@link io.ds4j.zero.step.ZeroStep}: {@link io.ds4j.zero.step.Stage0Step},
 * {@link io.ds4j.zero.step.Stage1Step}, {@link io.ds4j.zero.step.Stage2Step}), not flags. Stage 1 reduce-scatters
 * (rather than all-reduces) the accumulated gradient: a rank that updates only its shard needs only that shard of the
 * reduced gradient, and the step then moves 2&Psi; per rank like stages 0 and 2 (ZeRO paper, section 7). Stage 2
 * differs from stage 1 in when it communicates: after every micro-batch, into a shard-sized accumulator, so no rank
 * ever holds a full-size reduced gradient. With one micro-batch per step, stages 0 and 1 reduce the backward's own
 * gradient in place ({@link io.ds4j.zero.step.ZeroStep#reduceInPlace}) through one bucket, so they too hold no second
 * full-size gradient. The steps work on {@code float[]} flat vectors padded by
 * {@link io.ds4j.zero.shard.ShardLayout}; the optimizer itself is the caller's (DL4J's updaters or the fused kernels).
 */
package io.ds4j.zero.step;
