/**
 * The pieces behind {@code ds4j train}: the model it trains on the shipped OptDigits set ({@link
 * io.ds4j.cli.train.DigitsModel}), the mapping of a DeepSpeed {@code optimizer} and {@code scheduler} section onto the
 * network's own DL4J {@code IUpdater} ({@link io.ds4j.cli.train.UpdaterMapping}), the job itself ({@link
 * io.ds4j.cli.train.TrainJob}), its progress line ({@link io.ds4j.cli.train.ProgressListener}) and its summary
 * ({@link io.ds4j.cli.train.TrainSummary}).
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>step</b>: one optimizer step over one <b>global batch</b> of {@code train_batch_size} examples, split by
 *       the engine into {@code world size x gradient_accumulation_steps} micro-batches. DeepSpeed's
 *       {@code global_steps}.</li>
 *   <li><b>engine sections</b>: what the ZeRO engine reads from the file (batch triad, {@code zero_optimization},
 *       precision, clipping, reduction scaling). The {@code optimizer} and {@code scheduler} sections are not engine
 *       sections here: they become the network's DL4J updater (the engine runs the network's own {@code IUpdater} on
 *       each shard), so the job removes them from the document it hands the engine. Every other section goes to the
 *       engine unchanged, and whatever the engine cannot honour yet (fp16, bf16, offload) it refuses by name.</li>
 *   <li><b>steps_per_print</b>: as in DeepSpeed, every that many steps one line with the step, loss and lr is
 *       written (DeepSpeed's default: never). Between those lines a progress bar is redrawn in place when stderr is a
 *       terminal.</li>
 *   <li><b>wall_clock_breakdown</b>: as in DeepSpeed, with each printed line the mean milliseconds per step spent in
 *       forward, backward and the rest of the step (gradient reduction, optimizer, parameter gather: the engine does
 *       not time these separately yet), measured on rank 0 through DL4J's listener callbacks.</li>
 * </ul>
 *
 * <h2>Documented differences from DeepSpeed</h2>
 * The optimizer is DL4J's: DL4J's {@code Adam} adds epsilon to {@code sqrt(v)} before the bias correction of the
 * second moment is folded into the step size, PyTorch's after, so the effective epsilon differs by the factor
 * {@code sqrt(1 - beta2^t)} (negligible once {@code t} is in the hundreds; identical when eps is 0). Decoupled weight
 * decay ({@code AdamW}, or {@code Adam} with DeepSpeed's default {@code adam_w_mode: true}) is DL4J's
 * {@code WeightDecay} with the learning rate applied, which subtracts {@code lr * weight_decay * w} as PyTorch does.
 */
package io.ds4j.cli.train;
