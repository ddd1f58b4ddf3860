/**
 * The {@code zero_optimization} section of a DeepSpeed configuration as validated, immutable records with concrete
 * values. The sharded engine in {@code io.ds4j.zero} consumes them; nothing here knows about JSON (the adapter's
 * {@code io.ds4j.config} reads the file, resolves {@code "auto"} and aliases, and builds these records).
 *
 * <p>Vocabulary (used by every type here):
 * <ul>
 *   <li><b>stage</b>: what is partitioned across ranks. 0 nothing, 1 optimizer state, 2 optimizer state and
 *       gradients, 3 optimizer state, gradients and parameters.</li>
 *   <li><b>bucket size</b>: a count of elements (not bytes) communicated together.</li>
 *   <li><b>offload</b>: keeping optimizer state ({@code offload_optimizer}) or parameters ({@code offload_param})
 *       on the host ({@code cpu}) or on disk ({@code nvme}) instead of the device; {@code none} means no
 *       offload.</li>
 * </ul>
 * The {@code optimizer} section becomes one {@link io.ds4j.zero.config.OptimizerConfig} (Adam/AdamW, SGD, Adagrad,
 * Lamb, Lion) with the defaults of the class DeepSpeed instantiates for it.
 *
 * <p>Field names are DeepSpeed 0.19.x's field names in camelCase (the new names, never the {@code stage3_*}
 * aliases); defaults are DeepSpeed's ({@code DeepSpeedZeroConfig}, {@code DeepSpeedZeroOffload*Config}). Record
 * constructors throw {@link java.lang.IllegalArgumentException} whose message starts with the DeepSpeed key.
 */
package io.ds4j.zero.config;
