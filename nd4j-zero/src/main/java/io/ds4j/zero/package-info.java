/**
 * ds4j's ZeRO primitives on ND4J, independent of DL4J.
 *
 * <p>Vocabulary used throughout the module (each sub-package refines it):
 * <ul>
 *   <li><b>rank</b>, <b>world size</b>: one data-parallel replica and how many there are. In one JVM a rank is a
 *       thread.</li>
 *   <li><b>flat vector</b>: all parameters (or gradients, or optimizer state) of a network in one contiguous
 *       vector, as DL4J keeps them. ZeRO partitions this vector, not individual tensors.</li>
 *   <li><b>shard</b>: rank r's contiguous, padded slice of the flat vector ({@link io.ds4j.zero.shard}).</li>
 *   <li><b>master shard</b>: the fp32 copy of a shard owned by the optimizer; <b>compute copy</b>: the parameters
 *       the network computes with, in their storage type ({@link io.ds4j.zero.kernels}).</li>
 *   <li><b>bucket</b>: a group of elements communicated together ({@code reduce_bucket_size},
 *       {@code allgather_bucket_size}).</li>
 *   <li><b>ledger</b>: the per-rank account of bytes held by category and tier ({@link io.ds4j.zero.ledger}).</li>
 *   <li><b>step</b>: one optimizer step of the whole engine, every phase from forward to release; a stage's
 *       communication within it is its {@link io.ds4j.zero.step.ZeroStep}.</li>
 *   <li><b>kernel</b>: a fused CPU optimizer ({@link io.ds4j.zero.kernels.FusedOptimizer}) that updates a master and
 *       its optimizer state in one pass.</li>
 *   <li><b>shard update</b>: the optimizer phase of a step on one rank's shard, once its gradient is reduced, unscaled
 *       and clipped ({@link io.ds4j.zero.update.ShardUpdate}): a DeepSpeed {@code optimizer} section
 *       ({@link io.ds4j.zero.update.DeepSpeedOptimizer}) run by a kernel; at stage 3, piece by piece over a rank's
 *       partitioned parameters ({@link io.ds4j.zero.stage3.PiecewiseShardUpdate}). <b>updater</b> keeps DL4J's meaning:
 *       the network's own {@code IUpdater}s, which the adapter runs on a shard when there is no {@code optimizer}
 *       section.</li>
 *   <li><b>store</b>: where an offloaded shard lives between steps, on the host or on disk
 *       ({@link io.ds4j.zero.offload} for master and optimizer state, {@link io.ds4j.zero.stage3} for parameters).</li>
 *   <li><b>engine</b>: in the adapter, the driver of one stage family's ranks (stages 0-2, or stage 3) behind the
 *       trainer, which is the user's facade; {@code DeepSpeedEngine} keeps DeepSpeed's name for what
 *       {@code initialize} returns (a world of one inside DL4J's {@code fit()}).</li>
 *   <li><b>precision driver</b>: a rank's loss scale, rounding points and overflow decision, one class for every
 *       stage.</li>
 *   <li><b>host buffer</b>: the host copy of an ND4J array, read and written through NIO only via
 *       {@link io.ds4j.zero.kernels.HostFloats}, which keeps it current on GPU backends.</li>
 * </ul>
 *
 * <p>Sub-packages: {@link io.ds4j.zero.comm} (collectives), {@link io.ds4j.zero.shard} (layout),
 * {@link io.ds4j.zero.ledger} (memory accounting and the ZeRO formulas), {@link io.ds4j.zero.kernels} (fused CPU
 * optimizer kernels), {@link io.ds4j.zero.step} (the stages' reduction and clipping), {@link io.ds4j.zero.update}
 * (shard updates), {@link io.ds4j.zero.offload} (optimizer stores), {@link io.ds4j.zero.stage3} (parameter
 * partitioning).
 */
package io.ds4j.zero;
