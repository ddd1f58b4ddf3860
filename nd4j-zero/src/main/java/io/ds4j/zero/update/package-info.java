/**
 * The shard update: what a DeepSpeed {@code optimizer} section does to a rank's shard once its gradient is reduced,
 * unscaled and clipped. {@link io.ds4j.zero.update.DeepSpeedOptimizer} is the one value every driver (stages 0-2,
 * stage 3, the world of one inside DL4J's {@code fit()}) builds its step from.
 */
package io.ds4j.zero.update;
