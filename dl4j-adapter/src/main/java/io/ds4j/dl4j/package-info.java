/**
 * ds4j's integration with DL4J: {@link io.ds4j.dl4j.DeepSpeed#initialize} for a world of one rank inside the user's
 * own {@code fit()}, and {@link io.ds4j.dl4j.ZeroTrainer} for ZeRO stages 0 to 3 over several ranks (threads; stage 3
 * in {@code Stage3Engine}).
 *
 * <h2>How the user's {@code net.fit(iterator)} runs ds4j's step (decision)</h2>
 * DL4J 1.0.0-M2.1's {@code StochasticGradientDescent.optimize} computes the gradient, hands it to the network's
 * updater ({@code BaseOptimizer.updateGradientAccordingToParams} calls {@code Updater.update} for a
 * MultiLayerNetwork and {@code ComputationGraphUpdater.update} for a ComputationGraph), then subtracts whatever the
 * updater left in the flat gradient view from the flat parameters and notifies listeners. Both networks expose a
 * setter for that updater ({@code MultiLayerNetwork.setUpdater(Updater)}, {@code
 * ComputationGraph.setUpdater(ComputationGraphUpdater)}). So ds4j installs a subclass of DL4J's own updater whose
 * {@code update} runs ds4j's step and leaves the update in the gradient view: everything else in {@code fit()}
 * (workspaces, listeners, iteration and epoch counts, score, early stopping, serialisation of the updater state) is
 * DL4J's own and unchanged, and the result is bit-identical to plain {@code fit()}. A wrapper around {@code fit()}
 * was rejected because users call many {@code fit} overloads, and ParallelWrapper's shared-gradients mode was
 * rejected because it deadlocks on M2.1. (DL4J's own "external gradient" test in {@code BaseMultiLayerUpdater}
 * compares array objects and is always true in M2.1, because {@code Gradient.gradient()} returns a fresh reshape;
 * ds4j compares the memory instead.)
 *
 * <h2>Several ranks ({@link io.ds4j.dl4j.ZeroTrainer})</h2>
 * Rank r is a thread with a replica: rank 0 computes on the user's network itself, the others on networks built
 * from a clone of its configuration ({@code net.clone()} of a ComputationGraph shares the listener list). Each
 * replica computes DL4J's summed gradient of its micro-batch with {@code computeGradientAndScore()}; the stage's
 * {@link io.ds4j.zero.step.ZeroStep} reduces and shards it; the rank updates its shard; the step gathers the shards.
 * Scaling: DL4J sums over examples, so the mean over ranks of the rank sums is divided by the examples per rank, which
 * is exactly the mean over the global batch, however the batch was split.
 *
 * <h2>DL4J semantics kept exactly (no {@code optimizer} section)</h2>
 * In DL4J's order: the summed gradient is divided by the minibatch size (except for parameters whose "gradient" is an
 * update, such as BatchNorm's running statistics: those are averaged over ranks and micro-batches, so every
 * replica's statistics move by the mean of the ranks' moves and the replicas stay identical; PyTorch DDP instead
 * broadcasts rank 0's buffers, and neither is SyncBN: each micro-batch is still normalised with its own batch
 * statistics); the layer's gradient normalization is applied with norms summed over shards; then per updater
 * block the "before" regularization (l1, l2) is added, the block's {@code IUpdater} runs, and the "after"
 * regularization (weight decay) is added. DeepSpeed's {@code gradient_clipping} acts on the averaged gradient before
 * DL4J's per-layer normalization (it belongs to the data-parallel engine; the normalization belongs to the layer's
 * optimizer configuration). Every ND4J updater is element-wise, so an updater instantiated on the part of a block
 * that falls in a shard gives the same numbers as the whole block; an updater class from elsewhere is refused at
 * stages 1 and 2. A global {@code .weightDecay(c)} in a DL4J configuration is registered twice per layer by DL4J
 * (effective 2c); ds4j reproduces DL4J, so it does the same.
 *
 * <h2>DeepSpeed semantics (an {@code optimizer} section)</h2>
 * The shard is updated by ds4j's fused kernel for the section ({@link io.ds4j.dl4j.DeepSpeedOptimizers}), with
 * {@code "auto"} params read from the network's DL4J updater and DeepSpeed's combined clip factor. DL4J layer
 * regularization, gradient normalization and running statistics would be silently dropped, so they are refused.
 * Inside DL4J's own {@code fit()} (world size 1) the kernel updates the parameters and the difference is left as the
 * update for DL4J's solver to subtract (exact whenever old and new value are within a factor 2, Sterbenz).
 *
 * <h2>Schedules (a {@code scheduler} section)</h2>
 * With an optimizer section the fused kernel takes DeepSpeed's lr of each step; without one the schedule is installed
 * as the ND4J learning-rate schedule of the network's updaters ({@link io.ds4j.dl4j.ScheduleInstaller}) and the
 * previous ones are put back on {@code close()}. DeepSpeed's first update uses the lr its scheduler wrote at
 * construction (scheduler iteration -1), so DL4J iteration {@code i} uses scheduler iteration {@code i - 1}.
 *
 * <h2>Mixed precision ({@code fp16}, {@code bf16})</h2>
 * {@link io.ds4j.dl4j.ZeroTrainer} runs DeepSpeed's {@code fp16} and {@code bf16} sections
 * ({@link io.ds4j.dl4j.EnginePrecision}): each rank's optimizer updates an fp32 <b>master</b> of its update range,
 * the replica computes in FLOAT on the <b>compute copy</b> (the master rounded to the 16-bit format), each
 * micro-batch's gradient is stored as {@code round16(scale x mean gradient)} (the terms of
 * {@link io.ds4j.dl4j.precision}), overflow is decided over all ranks and skips the whole step (no parameter,
 * iteration or schedule change), and the loss scale follows {@link io.ds4j.precision.LossScale}. When {@code fit}
 * ends the user's network gets its own loss functions back and the fp32 master values. DL4J's own {@code fit()}
 * ({@link io.ds4j.dl4j.DeepSpeed#initialize}, world size 1) runs the same operations in the updater slot: the
 * engine keeps the master, the network's parameters are the compute copy, and the update left for DL4J's solver is
 * the compute copy minus the rounded new master (zero on a skipped step); {@code DeepSpeedEngine.close()} restores
 * the loss functions and writes the master into the network.
 *
 * <h2>Optimizer offload ({@code zero_optimization.offload_optimizer})</h2>
 * At stages 1 and 2 with an {@code optimizer} section, {@code device: "cpu"} or {@code "nvme"} puts each rank's fp32
 * master of its update range and the optimizer state into an <b>optimizer store</b> ({@link io.ds4j.zero.offload})
 * on the host or in files under {@code nvme_path}; the fused kernel runs through the store, sub-group by sub-group,
 * and writes the updated parameters into the replica (or, with fp16/bf16, into the engine's master copy). Results are
 * bit-identical to no offload. The network's own DL4J updaters cannot run on offloaded state (they are ND4J ops on
 * DL4J's per-layer state array), so offload without an optimizer section is refused by key, as DeepSpeed refuses a
 * client optimizer with ZeRO-Offload; DL4J's own {@code fit()} ({@link io.ds4j.dl4j.DeepSpeed#initialize}) refuses it
 * too. At stage 0 the setting is ignored, as in DeepSpeed. Stores are closed and nvme files deleted on
 * {@code close()} and after a failed {@code fit}.
 *
 * <h2>Vocabulary</h2>
 * <b>rank</b>, <b>world size</b>, <b>flat vector</b>, <b>shard</b> and <b>bucket</b> as defined in
 * {@link io.ds4j.zero.step}. A <b>replica</b> is a rank's copy of the network. A <b>slot</b> is one parameter of one
 * layer in the flat vector; a <b>block</b> is DL4J's updater block (consecutive slots with one updater
 * configuration); a <b>segment</b> is a block cut to a shard. A <b>global batch</b> is what the iterator yields for
 * one optimizer step ({@code train_batch_size}; {@code "auto"} values are resolved from the first one); a
 * <b>micro-batch</b> is one rank's share of it for one of the {@code gradient_accumulation_steps}
 * ({@code train_micro_batch_size_per_gpu} examples).
 */
package io.ds4j.dl4j;
