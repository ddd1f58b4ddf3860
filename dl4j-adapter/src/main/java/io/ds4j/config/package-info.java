/**
 * The DeepSpeed JSON configuration ({@code ds_config.json}) read as DeepSpeed 0.19.x reads it.
 *
 * <p>Vocabulary:
 * <ul>
 *   <li><b>path</b>: where a key sits in the document, dot-separated, arrays indexed:
 *       {@code zero_optimization.offload_optimizer.device}, {@code optimizer.params.betas[1]}; {@code ""} (printed
 *       {@code $}) is the document itself. Every {@link io.ds4j.config.DeepSpeedConfigException} carries one.</li>
 *   <li><b>batch triad</b>: {@code train_batch_size} = {@code train_micro_batch_size_per_gpu} &times;
 *       {@code gradient_accumulation_steps} &times; <b>world size</b> (the number of data-parallel ranks). Missing
 *       members are derived with DeepSpeed's floor divisions; see {@link io.ds4j.config.ResolvedBatch}.</li>
 *   <li><b>"auto"</b>: a value the Hugging Face integration fills in. ds4j keeps it as {@code "auto"} (see
 *       {@link io.ds4j.config.DeepSpeedConfig#autoPaths()}) until the DL4J side resolves it: the network's updater
 *       for optimizer params, the iterator's batch size and the world size for the triad. Inside DeepSpeed's
 *       pydantic sections ({@code zero_optimization}, {@code fp16}, {@code bf16}, the monitors) "auto" means the
 *       default, as in DeepSpeed.</li>
 *   <li><b>strict section</b>: one whose unknown keys are errors with a "did you mean" (DeepSpeed's pydantic
 *       models forbid extras; ds4j also checks {@code optimizer} and {@code scheduler} params by name).
 *       {@code checkpoint}, {@code aio}, {@code data_types} and the top level are read leniently as DeepSpeed does,
 *       but each unknown key gets a warning.</li>
 * </ul>
 *
 * <p>Where ds4j deliberately differs from DeepSpeed, and why:
 * <ul>
 *   <li>"auto" is accepted where the Hugging Face integration accepts it (the triad, {@code gradient_clipping},
 *       {@code optimizer.params} lr/betas/eps/weight_decay, {@code scheduler.params} warmup_min_lr/warmup_max_lr/
 *       warmup_num_steps/total_num_steps, and every key of the pydantic sections).</li>
 *   <li>A config without {@code optimizer} is valid at every ZeRO stage: the network's own updater is the
 *       optimizer (DeepSpeed's "client optimizer").</li>
 *   <li>Features that change the training math and that ds4j does not implement are refused when enabled, naming
 *       the enabling key: the 1-bit optimizers, {@code amp}, {@code compression_training},
 *       {@code quantize_training}, {@code sparse_attention}, {@code pipeline}, {@code progressive_layer_drop},
 *       {@code data_efficiency}, {@code curriculum_learning}, {@code eigenvalue}, {@code sequence_parallel_size}
 *       &gt; 1, {@code tensor_parallel}, {@code hybrid_engine}, {@code elasticity}, and inside
 *       {@code zero_optimization} {@code zenflow} and the ZeRO++ {@code zero_quantized_*} flags.</li>
 *   <li>Sections that only observe or tune a PyTorch runtime ({@code activation_checkpointing},
 *       {@code flops_profiler}, {@code comms_logger}, {@code autotuning}, {@code compile}, {@code torch_autocast},
 *       {@code wandb}, {@code comet}) and unknown top-level keys are accepted with one warning each.</li>
 *   <li>Types are checked strictly: booleans must be JSON booleans and numbers JSON numbers (pydantic's lax mode
 *       would also take {@code "true"} or {@code 1}); integral floats such as {@code 5e8} are accepted for integer
 *       fields, {@code 1.5} is not, as in pydantic.</li>
 *   <li>Both a field and its {@code stage3_*} alias given at once is an error rather than one silently winning.</li>
 * </ul>
 *
 * <p>What the reader does with each key is found by asking it, not written down twice: {@code AcceptedKeys} lists
 * every key path it accepts (from its own "known keys" errors and printed defaults), {@code KeyProbe} gives one key
 * a value in a minimal configuration, {@code KeyVerdict} records the printed default, {@code "auto"}, the warning and
 * the refusals, and {@link io.ds4j.config.ReferencePage} turns those into the site's configuration reference
 * ({@code bin/ds4j reference}), because a hand-kept page was tested only for its list of keys, not for its defaults
 * and verdicts.
 */
package io.ds4j.config;
