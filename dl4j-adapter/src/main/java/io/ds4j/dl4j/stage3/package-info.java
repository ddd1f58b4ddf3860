/**
 * ZeRO stage 3 for DL4J networks: the mechanism that gathers each layer's parameters just before it runs.
 *
 * <h2>Why the engine drives the layers itself</h2>
 * DL4J has no per-layer hooks: {@code MultiLayerNetwork.computeGradientAndScore()} runs every layer on views of one
 * flat parameter vector that must exist in full. Three mechanisms were considered:
 * <ol>
 *   <li><b>Wrapper layers</b> that gather in {@code activate}/{@code backpropGradient}: DL4J would still allocate and
 *       hold the full flat vector (every layer gets a view of it at {@code init}), so the partitioning would be
 *       cosmetic.</li>
 *   <li><b>Rebinding the views of the user's network</b> and calling its own {@code computeGradientAndScore()}: all
 *       layers run inside one DL4J call, so there is no point between two layers to gather or release.</li>
 *   <li><b>Driving forward and backward layer by layer</b> (chosen): each rank instantiates the DL4J layers from a
 *       clone of the configuration on a shared compute scratch as large as the largest layer (never on a flat
 *       vector), and runs them exactly as {@code computeGradientAndScore()} does (input pre-processors, training-mode
 *       {@code activate}, the output layer's labels, {@code backpropGradient}, {@code computeScore} with the summed
 *       regularization score), without workspaces (the activations, epsilons and working arrays the layers make are
 *       freed when the pass ends: {@code io.ds4j.dl4j.pass.PassArrays}; ND4J's temporaries inside the layer calls
 *       go to the pass's workspace, reused from pass to pass: {@code io.ds4j.dl4j.pass.PassWorkspace}). Before a
 *       layer runs, its
 *       {@link io.ds4j.zero.stage3.PartitionedParam}s are gathered by the coordinator straight into the layer's
 *       module buffer ({@link io.ds4j.dl4j.stage3.ModuleBuffers}: its tensors side by side, exactly the layer's
 *       length, pooled), and the layer's parameter table is rebound to views of that memory ({@code setParamTable},
 *       {@code setParamsViewArray}), so the layer computes on the gathered parameters as DeepSpeed's module does (with
 *       HALF compute, and for SameDiff layers, they are copied into the shared scratch instead); its gradient views
 *       are rebound to a
 *       gradient scratch ({@code setBackpropGradientsViewArray}); right after its backward the gradient is
 *       reduce-scattered into the rank's gradient shards and the parameters are released
 *       ({@link io.ds4j.dl4j.stage3.GradientReduction}).</li>
 * </ol>
 * Measured on DL4J 1.0.0-M2.1 (tests in this package): world size 1 reproduces plain {@code fit()} bit for bit for
 * dense, convolution, LSTM and self-attention networks and a branching graph with a merge vertex, so the per-layer
 * drive is DL4J's own computation. Found on the way: {@code SameDiffLayer.setParam} ignores its value, so a SameDiff
 * layer (self-attention) is bound once to the scratch before its SameDiff graph is built and computes on whatever the
 * scratch holds (see {@code GraphRank}); and SameDiff keeps one inference session per thread, so rank threads that
 * were new at every step left one session per step behind: each rank now keeps one thread for the trainer's life
 * ({@link io.ds4j.zero.comm.RankThreads}).
 *
 * <h2>What a rank holds</h2>
 * Between steps: its shard of every parameter (fp32, or 16-bit in mixed precision), the fp32 master of the owned
 * elements with the DL4J updater state for them, the reduced gradient shard, the full copies of persistent parameters,
 * and the gradient scratch of the largest layer's size (plus a parameter scratch as large for HALF compute or SameDiff
 * layers). During a step, additionally: the module buffers of the gathered tensors the coordinator keeps live (one
 * per module for all the ranks of a process whose ranks are threads, {@link io.ds4j.dl4j.stage3.SharedModuleMemory},
 * each rank's ledger carrying a 1/N share; one per rank between processes) and,
 * during a gradient tensor's reduce-scatter, its shard, unless it is written straight into the gradient partition
 * (fp32, nothing accumulated yet, an unpadded shard) (the reduce-scatter reads the gradient scratch where the
 * backward wrote it: in place across rank threads, through the collectives' native-array form between processes;
 * mixed precision goes through a pooled heap copy of the tensor). The ledger enters each
 * of these with the size of the buffer itself (array length times element width, a file's length) when it is
 * allocated, and releases the entry when the buffer is freed; after {@code close()} every rank's ledger is zero.
 *
 * <h2>Parameter offload</h2>
 * {@code zero_optimization.offload_param} ({@link io.ds4j.zero.stage3.ParamHome}). In fp32 the shard is the fp32 master
 * and exists once: with {@code cpu} it is a Java array ({@link io.ds4j.zero.stage3.HeapShardStore}, ledger HOST), with
 * {@code nvme} a file per tensor in a new directory per rank under {@code nvme_path}
 * ({@link io.ds4j.zero.stage3.FileShardStore}, ledger DISK; the path checked by
 * {@link io.ds4j.zero.stage3.ParamNvmePath} naming {@code zero_optimization.offload_param.nvme_path}; files and
 * directory deleted by {@link io.ds4j.dl4j.stage3.Stage3Trainer#close()}), read and written through at most
 * {@code buffer_count} host buffers of at most {@code buffer_size} elements
 * ({@link io.ds4j.zero.stage3.ParamSwapBuffers}, tiling a larger shard), so no copy of the shard stays in memory. The
 * device then holds none of the shard between steps: a gather reads it straight into the gathered buffer, and the
 * optimizer step brings one {@code sub_group_size} sub-group of the masters at a time into a device staging array that
 * its DL4J updaters are pointed at ({@code ShardUpdater.bindParams}) and writes it back
 * ({@link io.ds4j.dl4j.stage3.SegmentUpdaters}); the same float operations in the same order, so training is
 * bit-identical to no offload. In mixed precision the offloaded shard is the 16-bit copy and the fp32 master stays on
 * the device with the optimizer (ledger MASTER_WEIGHTS), as DeepSpeed keeps its fp32 partitions with the optimizer;
 * {@code offload_optimizer} moves that.
 *
 * <h2>Mixed precision ({@code fp16}, {@code bf16})</h2>
 * {@link io.ds4j.dl4j.RankPrecision}, the precision driver of every stage, rounds at the points stages 0-2 do.
 * Every parameter store pairs the fp32 master (MASTER_WEIGHTS, updated by the optimizer) with the shard the gathers
 * read, kept as 16-bit bits ({@code io.ds4j.zero.stage3.HalfShardStore}: 2 B per element on the device, or on the host
 * with {@code offload_param cpu}; with {@code nvme} a file of FLOAT values rounded to the format) and refreshed from
 * the master after each applied step, so the layers compute in FLOAT on exactly 16-bit-representable values; with HALF
 * compute (fp16 on CUDA, or when asked) the rank's layers are HALF layers on a HALF scratch, the gathered values are
 * cast into it exactly and each layer's HALF gradient, already the stored micro-batch mean, is read exactly. fp16
 * installs a {@link io.ds4j.dl4j.precision.ScaledLoss} in the rank's own clone of the output layers (the user's network
 * is never touched); each layer's summed gradient is rounded to the stored 16-bit micro-batch mean just before its
 * reduce-scatter; at the step the reduced shard is divided by the world size, rounded to
 * {@code communication_data_type}, divided by the accumulation steps and the scale; an Inf or NaN on any rank
 * ({@code allReduceMax}) skips the whole step (no parameter, iteration or schedule change) and moves the loss scale
 * with DeepSpeed's rules and OVERFLOW line; {@code LossScaleException} stops every rank. Measured: bit-identical to
 * stage 2 on the same data (fp16, fp16 with accumulation, bf16; with HALF compute too).
 *
 * <h2>DeepSpeed optimizer section</h2>
 * With an {@code optimizer} section ({@link io.ds4j.zero.stage3.PiecewiseShardUpdate}) the fused kernel of stages 0-2
 * updates each owned slice of the fp32 masters with its own state, reading the averaged gradient times DeepSpeed's
 * clip factor, at the {@code scheduler}'s learning rate; the DL4J updaters are then not used. Lamb's trust ratio is
 * per tensor while a rank holds a slice of each: its two squared norms are summed over the rank's slices and
 * all-reduced before the ratio is applied (not with optimizer offload, which steps sub-groups).
 *
 * <h2>Sub-groups ({@code sub_group_size})</h2>
 * A <b>sub-group</b> is a run of at most {@code zero_optimization.sub_group_size} of a rank's owned fp32 master
 * elements, read parameter after parameter in flat order as one partition and cut like DeepSpeed's
 * {@code sub_group_size} split ({@link io.ds4j.zero.stage3.SubGroupPlan}, over {@code io.ds4j.zero.offload.SubGroups});
 * a <b>segment</b> is one parameter's part of a sub-group. The optimizer step walks the sub-groups one after the
 * other: one DL4J updater per segment, or the fused kernel on each segment's masters and gradients, in place when the
 * masters are on the device (read through the kernel's own 4096-element tiles, as DeepSpeed steps its fp32 partitions
 * where they lie) and staged on the heap a sub-group at a time when {@code offload_param} keeps them elsewhere. The
 * step's temporaries (the fp16/bf16 unscaled gradient, the staging of offloaded masters and their gradients) hold one
 * sub-group and are entered in the ledger as {@code OTHER} while the step runs (at most 8 bytes times
 * {@code sub_group_size}; none for fp32 masters on the device). Every
 * optimizer allowed at stage 3 is element-wise and the clipping norm is still summed per parameter, so any
 * {@code sub_group_size} gives bit-identical training (measured: 7, 100 and 1e9). DeepSpeed closes a sub-group at the
 * first whole parameter that reaches the size, so its sub-groups can be larger; ds4j cuts inside parameters so the
 * bound holds.
 *
 * <h2>Supported and not yet</h2>
 * {@code MultiLayerNetwork} and {@code ComputationGraph} (dense, convolution, LSTM, SameDiff self-attention, merge
 * vertices), the network's own DL4J updaters and regularization or a DeepSpeed {@code optimizer} (+ {@code scheduler})
 * section, gradient accumulation, DeepSpeed's global-norm gradient clipping, fp32, fp16 and bf16,
 * {@code offload_param} cpu and nvme, and the user-facing engine: {@code ZeroTrainer} runs
 * {@code zero_optimization.stage: 3} through {@link io.ds4j.dl4j.stage3.Stage3Trainer#fit(java.util.List, long, int,
 * int)} with the micro-batch split of stages 0-2. Not yet: a {@code scheduler} section without an {@code optimizer}
 * section, Lamb with optimizer offload, prescale/predivide (the engine refuses each by key), DL4J gradient
 * normalization (refused with a clear error), masks (refused), and {@code DeepSpeed.initialize} (refuses stage 3:
 * DL4J's own {@code fit()} computes on the full flat vector).
 */
package io.ds4j.dl4j.stage3;
