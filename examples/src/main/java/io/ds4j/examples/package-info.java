/**
 * Runnable programs to copy: each has a {@code main} and a {@code run} method that returns what a test checks. All
 * train on the OptDigits set shipped with ds4j ({@link io.ds4j.data.OptDigits}, UCI, CC BY 4.0); their DeepSpeed
 * configurations are in {@code examples/configs/}. Run one with
 * {@code examples/run.sh <ClassName>} from the repository root.
 *
 * <ul>
 *   <li>{@link io.ds4j.examples.GraphFitExample}: {@code DeepSpeed.initialize} on a ComputationGraph, then DL4J's own
 *       {@code fit()} (world size 1).</li>
 *   <li>{@link io.ds4j.examples.ZeroTrainerExample}: {@code ZeroTrainer} with 2 ranks, ZeRO stage 2.</li>
 *   <li>{@link io.ds4j.examples.Fp16OffloadExample}: fp16 with ZeRO-2 and the optimizer offloaded to the CPU, as a
 *       DeepSpeed user writes it (with DeepSpeed's Adam section); the engine trains it.</li>
 *   <li>{@link io.ds4j.examples.ScheduleExample}: a MultiLayerNetwork whose Adam follows DeepSpeed's
 *       {@code WarmupDecayLR}, no ZeRO.</li>
 * </ul>
 *
 * <p>Vocabulary: a <b>rank</b> is one data-parallel replica (a thread here); the <b>global batch</b> is
 * DeepSpeed's {@code train_batch_size}, what one optimizer step consumes over all ranks.
 */
package io.ds4j.examples;
