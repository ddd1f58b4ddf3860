/**
 * Measurements behind {@code ds4j bench optimizer}: the machine's memory bandwidth with Java STREAM-like loops
 * ({@link io.ds4j.zero.bench.MemoryBandwidth}) and the throughput of the fused kernels against ND4J's Adam step
 * ({@link io.ds4j.zero.bench.OptimizerBench}).
 *
 * <p>Vocabulary:
 * <ul>
 *   <li><b>bytes per element</b>: the memory traffic one element of a loop needs at minimum, counting each read and
 *       each write of a 4-byte float once (no write-allocate): copy 8, triad 12, read-modify-write 28 (read
 *       gradient, parameter and two state words, write the last three: Adam's traffic).</li>
 *   <li><b>bandwidth</b>: bytes per element times elements per second, of the best of several timed repetitions after
 *       warm-up, as STREAM reports.</li>
 *   <li><b>ND4J Adam step</b>: what a DL4J updater does per step: copy the gradient into the update view
 *       ({@code assign}), {@code AdamUpdater.applyUpdater}, then {@code params.subi(update)}.</li>
 * </ul>
 */
package io.ds4j.zero.bench;
