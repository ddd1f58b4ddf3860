/**
 * Optimizer offload: where one rank's fp32 master shard and optimizer state live, and the optimizer step over them
 * ({@code zero_optimization.offload_optimizer}).
 *
 * <p>Vocabulary:
 * <ul>
 *   <li><b>store</b> ({@link io.ds4j.zero.offload.OptimizerStateStore}): holds the master shard and the
 *       {@code K} optimizer state vectors of one rank and runs a fused kernel over them. Kinds: resident on the
 *       device (no offload, ND4J arrays), resident on the host ({@code "cpu"}: Java heap or direct buffers, outside
 *       ND4J's allocations), on disk ({@code "nvme"}: files under {@code nvme_path}), and partial offload
 *       ({@code ratio < 1}: the first sub-groups on the device, the rest offloaded).</li>
 *   <li><b>sub-group</b> ({@link io.ds4j.zero.offload.SubGroups}): a run of at most {@code sub_group_size}
 *       elements of the shard stepped in one go; the unit of offload, of swapping and of partial offload (as in
 *       DeepSpeed's stage 3).</li>
 *   <li><b>swap slot</b>: host buffers for one sub-group's master and state while it is on the host, the
 *       {@code 1 + K} buffers of {@code sub_group_size} elements that DeepSpeed takes from its pool of
 *       {@code buffer_count}. Gradients are not swapped: they stay where the step hands them in.</li>
 *   <li><b>read-ahead</b> / <b>write-behind</b> ({@code pipeline_read} / {@code pipeline_write}): reading the next
 *       sub-group while the kernel runs on the current one, writing the previous one back while it runs.</li>
 *   <li><b>host transfer</b> ({@link io.ds4j.zero.offload.HostTransfer}): gradients down to the host and updated
 *       parameters up to the device once per step (ZeRO-Offload's 4&Psi; bytes with fp16); on ND4J's CPU backend
 *       device memory is host memory and the transfer passes the buffers through without copying.</li>
 * </ul>
 *
 * <p>Every store reports its bytes to a {@link io.ds4j.zero.ledger.MemoryLedger}: the master as
 * {@code MASTER_WEIGHTS}, the state as {@code OPTIMIZER_STATE}, in the tier where they live; swap slots and transfer
 * staging as {@code OFFLOAD_BUFFERS} on the host. All kernels used here are element-wise, so splitting a shard into
 * sub-groups, or between device and host, gives bit-identical results to one step over the whole shard.
 */
package io.ds4j.zero.offload;
