/**
 * ZeRO stage 3 core: parameters partitioned across ranks between steps and gathered module by module while the
 * network runs. Pure Java over {@link io.ds4j.zero.comm.Collectives} and ND4J arrays; the DL4J mechanism that drives
 * it lives in {@code io.ds4j.dl4j.stage3}.
 *
 * <p>Vocabulary (defined here once):
 * <ul>
 *   <li><b>partitioned parameter</b> ({@link io.ds4j.zero.stage3.PartitionedParam}): one parameter tensor (a DL4J
 *       parameter such as a layer's {@code W} or {@code b}) split, as DeepSpeed splits each tensor, into
 *       {@code worldSize} equal padded pieces; rank r keeps piece r, its <b>shard</b>, persistently.</li>
 *   <li><b>state</b> ({@link io.ds4j.zero.stage3.ParamState}): {@code SHARDED} (only the shard exists on this rank)
 *       or {@code GATHERED} (the full tensor is also held, in a <b>transient buffer</b> from
 *       {@link io.ds4j.zero.stage3.TransientBuffers}). Gathering a gathered parameter or releasing a sharded one is a
 *       bug and throws, naming the parameter and its state.</li>
 *   <li><b>persistent parameter</b>: a tensor of at most {@code stage3_param_persistence_threshold} elements (while
 *       the persistent total stays within {@code model_persistence_threshold}); it is gathered once and never
 *       released, so it costs no per-module traffic; after each optimizer step it is gathered again.</li>
 *   <li><b>module</b> ({@link io.ds4j.zero.stage3.ModuleParams}): what runs as one unit (a DL4J layer or graph
 *       vertex) and the parameters it needs gathered while it runs.</li>
 *   <li><b>trace</b>: the known order in which modules run in one step: forward in execution order, then backward in
 *       reverse. DeepSpeed records it during the first step; a DL4J network's order is known before it runs, so the
 *       trace is complete from the first step.</li>
 *   <li><b>live parameters</b>: elements of non-persistent parameters currently gathered (DeepSpeed's
 *       {@code n_available_params}).</li>
 * </ul>
 *
 * <p>The knobs, with DeepSpeed's meaning (see {@link io.ds4j.zero.stage3.ParamCoordinator}):
 * {@code stage3_prefetch_bucket_size} bounds the elements gathered ahead of need, in trace order, at each fetch;
 * {@code stage3_max_live_parameters} stops prefetching while that many elements are live (a fetch of what a module
 * needs right now is never refused); {@code stage3_max_reuse_distance}: a parameter is not released after a module
 * when it is used again within that many elements of trace ahead; {@code stage3_param_persistence_threshold} as
 * above.
 *
 * <p>Communication volume per step is derived in {@link io.ds4j.zero.stage3.Stage3Volume}: 3&Psi; (ZeRO paper
 * &sect;7) for the schedule with no persistence and no reuse retention, less where the knobs avoid a gather.
 *
 * <p>Where a rank keeps its shards, and how its optimizer steps them:
 * <ul>
 *   <li><b>home</b> ({@link io.ds4j.zero.stage3.ParamHome}): the store of each shard as
 *       {@code offload_param.device} and the precision say; a <b>store</b> ({@link io.ds4j.zero.stage3.ShardStore})
 *       is one shard's elements on the device ({@link io.ds4j.zero.stage3.MasterShardStore}, an ND4J array), the
 *       host ({@link io.ds4j.zero.stage3.HeapShardStore}) or disk ({@link io.ds4j.zero.stage3.FileShardStore}); in
 *       mixed precision {@link io.ds4j.zero.stage3.OffloadedShardStore} pairs the fp32 master with the 16-bit copy
 *       the gathers read, whose format is a {@link io.ds4j.zero.kernels.ChunkCodec} the adapter supplies.</li>
 *   <li><b>piece</b>: the owned part of one parameter tensor on a rank; a rank's pieces in flat order are its
 *       shard. {@link io.ds4j.zero.stage3.MasterShards} reads and writes their fp32 masters wherever they live.</li>
 *   <li><b>sub-group</b> ({@link io.ds4j.zero.stage3.SubGroupPlan}): a run of at most {@code sub_group_size} owned
 *       master elements, the unit the optimizer steps; a <b>segment</b> is one piece's part of a sub-group.</li>
 *   <li>the stage-3 <b>shard update</b> ({@link io.ds4j.zero.stage3.PiecewiseShardUpdate}): a DeepSpeed
 *       {@code optimizer} section's kernel run piece by piece, sub-group by sub-group, or through an
 *       {@code offload_optimizer} store over the pieces concatenated.</li>
 * </ul>
 */
package io.ds4j.zero.stage3;
