/**
 * {@code ds4j bench train}: one process, one model ({@link io.ds4j.cli.train.DigitsModel}), one data order and one
 * global batch, trained by plain DL4J {@code fit()}, by DL4J's {@code ParallelWrapper} (2 workers, AVERAGING) and by
 * ds4j's {@code ZeroTrainer} with 2 ranks at stages 0, 1, 2 x {fp32, fp16, bf16} x {the network's DL4J Adam,
 * DeepSpeed's Adam (cpu-offloaded at stages 1 and 2; DeepSpeed offloads only a ZeRO optimizer, so a stage-0 row with
 * an offload section would measure the unoffloaded engine under a wrong label)}.
 *
 * <p>Threads: ZeroTrainer gives ND4J's native ops cores / ranks threads (ND4J's setting is process-wide); plain
 * {@code fit()} and ParallelWrapper run twice, with ND4J's default (all cores, for each worker) and with cores / 2,
 * and the ratios are to the faster of each pair, so a thread setting is never what makes ds4j look fast.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>contender</b>: one way of training (a row of the table).</li>
 *   <li><b>round</b>: every contender in turn starts afresh (same initial weights, same batches), runs the
 *       <b>warm-up</b> steps untimed (JIT, workspaces, thread start) and then one timed <b>window</b> of consecutive
 *       steps. Rounds interleave the contenders in time, so load from other processes hits all of them alike.</li>
 *   <li><b>samples/s</b>: the median over the rounds of (examples in the window / its wall time).</li>
 *   <li><b>peak ledger</b>: the largest, over ranks, of the bytes a rank's memory ledger ever held (sum over tiers
 *       of each tier's peak); only ds4j keeps a ledger.</li>
  *   <li><b>final loss</b>: the network's score on the whole training split at the end of the last round.</li>
 *   <li><b>max |w - w_fit|</b>: the largest absolute difference between the contender's parameters and plain
 *       {@code fit()}'s at the end of the last round: the same updates give float rounding only (ds4j runs with
 *       {@code gradient_clipping: 0}, since plain DL4J does not clip); ParallelWrapper averages parameters, not
 *       gradients, so it differs.</li>
 * </ul>
 * <b>Optimizer</b>: the ds4j rows without offload run the network's own DL4J Adam on each shard (the same updates as
 * {@code fit()}); the {@code DS-Adam} rows (cpu-offloaded at stages 1 and 2), and one extra ZeRO-2 row, carry an
 * {@code optimizer} section with the same Adam hyper-parameters, which the engine runs with DeepSpeed's semantics on
 * its fused kernel ("DS-Adam"). <b>Breakdown</b>: {@link io.ds4j.cli.train.StepClock} on the listener thread, over the
 * last round's window. A combination the engine cannot run yet is a row {@code unsupported: <reason>} with the engine's
 * own refusal.
 *
 * <h2>Memory and capacity</h2>
 * {@code ds4j bench memory} ({@link io.ds4j.cli.bench.MemoryBench}) and {@code ds4j bench capacity}
 * ({@link io.ds4j.cli.bench.CapacityBench}) measure each setup in a <b>child</b> JVM of its own
 * ({@link io.ds4j.cli.bench.ChildJvm} running {@link io.ds4j.cli.bench.MemoryProbe}), so that no setup's resident
 * memory carries into the next. <b>Real peak</b>: the child's {@code VmHWM} ({@link io.ds4j.cli.bench.ProcStatus}).
 * <b>Baseline</b>: a child that builds the network and runs one forward pass but never trains. <b>Formula</b>:
 * {@link io.ds4j.zero.ledger.ZeroFormulas} for fp32 Adam ({@link io.ds4j.cli.bench.MemoryRow}); <b>offload
 * terms</b>: what DeepSpeed's offload holds beyond it, printed as a second expectation. <b>Slope</b>: with several
 * {@code --params} sizes, bytes per parameter of each setup's peak over Ψ ({@link io.ds4j.cli.bench.MemorySlope}),
 * which the fixed cost of a child does not enter.
 */
package io.ds4j.cli.bench;
