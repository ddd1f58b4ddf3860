/**
 * Training monitors with DeepSpeed's file layout. Only DeepSpeed's {@code csv_monitor} so far
 * ({@link io.ds4j.dl4j.monitor.CsvMonitor}).
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>event</b>: one named scalar at one step, DeepSpeed's {@code (log_name, value, step)} tuple, e.g.
 *       {@code ("Train/Samples/lr", 0.001, 128)}. Names follow DeepSpeed's {@code Train/Samples/...} convention.</li>
 *   <li><b>step</b> (the x value of every event): DeepSpeed's {@code global_samples}, the number of training samples
 *       consumed so far over all ranks (global steps times {@code train_batch_size}), counted after the step; skipped
 *       steps consume samples too.</li>
 *   <li><b>log directory</b>: {@code output_path/job_name/}; one file per event name,
 *       {@code log_name} with {@code '/'} and {@code ' '} replaced by {@code '_'}, plus {@code .csv}.</li>
 * </ul>
 *
 * <h2>Relation to DeepSpeed 0.19.6</h2>
 * DeepSpeed's engine writes {@code Train/Samples/lr} and (fp16 only) {@code Train/Samples/loss_scale} after every
 * optimizer step, its pipeline engine writes {@code Train/Samples/train_loss}; only global rank 0 writes. ds4j writes
 * those three with the same names, files and headers, plus {@code Train/Samples/skipped_step} (1 when the step
 * overflowed and was skipped, else 0), which DeepSpeed only logs as text. Rows are written as Python's {@code csv}
 * module writes them ({@code \r\n} line ends, minimal quoting) with Python's {@code repr} of a float, so a ds4j file
 * is byte-for-byte what DeepSpeed would write for the same numbers. One deliberate difference: DeepSpeed writes the
 * header whenever a process first writes a file, so a resumed run appends a second header into an existing file;
 * ds4j writes the header only into a new or empty file.
 */
package io.ds4j.dl4j.monitor;
