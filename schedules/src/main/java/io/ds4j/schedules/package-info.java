/**
 * DeepSpeed's five learning-rate schedules ({@code WarmupLR}, {@code WarmupDecayLR}, {@code WarmupCosineLR},
 * {@code OneCycle}, {@code LRRangeTest}), exact to DeepSpeed 0.19, as pure functions and as ND4J schedules.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>iteration</b>: DeepSpeed's {@code last_batch_iteration}, the scheduler's counter. It is -1 when the
 *   scheduler is built (DeepSpeed then writes {@code lr(-1)} into the optimizer) and grows by one each time the
 *   engine steps the scheduler, which it does right after each applied optimizer step (a step skipped for fp16
 *   overflow advances neither).</li>
 *   <li><b>update</b> k (k = 1, 2, ...): the k-th applied optimizer step. It uses {@code lr(k - 2)}.</li>
 *   <li><b>DL4J iteration</b> i: DL4J's count of applied updates before the current one, from 0; so update k has
 *   {@code i = k - 1} and the ND4J schedule's {@code valueAt(i, epoch)} is {@code lr(i - 1)}.</li>
 *   <li><b>optimizer lr</b>: the {@code lr} of DeepSpeed's {@code optimizer.params}, which {@code WarmupLR}
 *   inherits as {@code warmup_max_lr} and {@code WarmupCosineLR} scales.</li>
 *   <li><b>warmup fraction</b>: 0 to 1 over {@code max(2, warmup_num_steps)} iterations, logarithmic or
 *   linear ({@link io.ds4j.schedules.WarmupType}).</li>
 * </ul>
 *
 * <h2>Pieces</h2>
 * {@link io.ds4j.schedules.LrSchedule} is the sealed type of the five schedules; each is a validated record of its
 * DeepSpeed parameters. {@link io.ds4j.schedules.Schedules} builds one from a {@code scheduler} section's
 * {@code type} and {@code params} (unknown keys rejected, as DeepSpeed's keyword arguments are) and validates params
 * with deferred {@code "auto"} keys. {@link io.ds4j.schedules.DeepSpeedSchedule} is the ND4J
 * {@link org.nd4j.linalg.schedule.ISchedule} adapter that a DL4J updater uses and that serializes with the network.
 *
 * <p>This module depends on nd4j-api only and never sees JSON text: the config loader hands it parsed values.
 */
package io.ds4j.schedules;
