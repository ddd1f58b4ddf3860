/**
 * The memory ledger: what each rank holds, by category and tier, and the ZeRO formulas it is checked against.
 *
 * <p>Vocabulary:
 * <ul>
 *   <li><b>category</b> ({@link io.ds4j.zero.ledger.MemoryCategory}): what the bytes are for. The first four
 *       (parameters, gradients, optimizer state, master weights) are the <b>model states</b> of the ZeRO paper;
 *       buffers are extra.</li>
 *   <li><b>tier</b> ({@link io.ds4j.zero.ledger.MemoryTier}): where they live: accelerator (or, on the CPU backend,
 *       ND4J's own allocations), host memory outside ND4J, or disk (NVMe offload).</li>
 *   <li><b>current</b> and <b>peak</b>: bytes held now, and the most held at any moment since the ledger was created;
 *       the peak of a tier is the peak of the tier's total, not the sum of per-category peaks.</li>
 *   <li><b>&Psi;</b>: the number of model parameters; <b>K</b>: optimizer-state bytes per parameter of the ZeRO paper
 *       (12 for mixed-precision Adam: fp32 master, momentum, variance).</li>
 * </ul>
 */
package io.ds4j.zero.ledger;
