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
 * </ul>
 *
 * <p>Sub-packages: {@link io.ds4j.zero.comm} (collectives), {@link io.ds4j.zero.shard} (layout),
 * {@link io.ds4j.zero.ledger} (memory accounting and the ZeRO formulas), {@link io.ds4j.zero.kernels} (fused CPU
 * optimizer kernels).
 */
package io.ds4j.zero;
