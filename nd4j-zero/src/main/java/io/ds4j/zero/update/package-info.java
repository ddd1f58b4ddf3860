/**
 * The shard update: what a DeepSpeed {@code optimizer} section does to a rank's shard once its gradient is reduced,
 * unscaled and clipped. {@link io.ds4j.zero.update.DeepSpeedOptimizer} is the one value every driver (stages 0-2,
 * stage 3, the world of one inside DL4J's {@code fit()}) builds its step from; {@link io.ds4j.zero.update.ShardUpdate}
 * runs it on a flat range whose master and state live next to the network
 * ({@link io.ds4j.zero.update.ResidentShardUpdate}) or in an offload store
 * ({@link io.ds4j.zero.update.OffloadedShardUpdate}); {@link io.ds4j.zero.update.LambTensors} gives Lamb its
 * per-tensor trust ratio when a range holds pieces of tensors.
 */
package io.ds4j.zero.update;
