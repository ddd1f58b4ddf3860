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
 */
package io.ds4j.zero.step;
