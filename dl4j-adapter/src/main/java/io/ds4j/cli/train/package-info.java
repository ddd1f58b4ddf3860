/**
 * The pieces behind {@code ds4j train}: the model it trains on the shipped OptDigits set ({@link
 * io.ds4j.cli.train.DigitsModel}), the global batches of each step ({@link io.ds4j.cli.train.StepBatches}), the job
 * itself ({@link io.ds4j.cli.train.TrainJob}), its progress line ({@link io.ds4j.cli.train.ProgressListener}), where
 * a step's time goes ({@link io.ds4j.cli.train.StepClock}), the learning rate shown per step ({@link
 * io.ds4j.cli.train.StepLearningRate}) and the summary ({@link io.ds4j.cli.train.TrainSummary}).
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>step</b>: one optimizer step over one <b>global batch</b> of {@code train_batch_size} examples, split by
 *       the engine into {@code world size x gradient_accumulation_steps} micro-batches. DeepSpeed's
 *       {@code global_steps}.</li>
 *   <li>The whole configuration goes to the engine ({@code ZeroTrainer.Builder.config}): it runs the
 *       {@code optimizer} section with DeepSpeed's semantics and drives the {@code scheduler}, and refuses by key what
 *       it cannot do. The network's own DL4J updater (Adam, lr
 *       {@value io.ds4j.cli.train.TrainJob#AUTO_LR}) is where the engine reads {@code "auto"} values, and what
 *       trains when the file has no {@code optimizer} section.</li>
 *   <li><b>steps_per_print</b>: as in DeepSpeed, every that many steps one line with the step, loss and lr is
 *       written (DeepSpeed's default: never). Between those lines a progress bar is redrawn in place when stderr is a
 *       terminal, and written as a line every tenth of the run otherwise.</li>
 *   <li><b>wall_clock_breakdown</b>: as in DeepSpeed, with each printed line the mean milliseconds per step spent in
 *       forward, backward and the rest of the step (gradient reduction, optimizer, parameter gather: the engine does
 *       not time these separately yet), measured on rank 0 through DL4J's listener callbacks.</li>
 *   <li><b>skipped steps</b>: steps the engine dropped for a gradient overflow (fp16); the <b>loss scale</b> shown
 *       is the one of the next step, "-" without fp16 (bf16 and fp32 do not scale the loss).</li>
 * </ul>
 */
package io.ds4j.cli.train;
