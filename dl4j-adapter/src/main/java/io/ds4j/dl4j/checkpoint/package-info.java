/**
 * Checkpoints of the engines: save, resume exactly, reshard to another world size or stage, consolidate to a plain
 * DL4J model.
 *
 * <p>The engines meet checkpoints at one seam, {@link io.ds4j.dl4j.checkpoint.EngineState}: each rank exports its
 * pieces of <b>canonical vectors</b> (the fp32 master over DL4J's flat parameter vector and the optimizer state laid
 * out over the same elements) and imports its pieces from the whole vectors. Because the canonical vectors do not
 * depend on the world size or the stage, a load reshards by construction: {@link
 * io.ds4j.dl4j.checkpoint.CheckpointReader} concatenates the saved pieces by the saved layout and the loading engine
 * cuts its own. On disk ({@link io.ds4j.dl4j.checkpoint.Checkpoints}, format in {@code io.ds4j.zero.checkpoint}): a
 * model-states file (network identity and DL4J configuration, training position, loss scale) and one
 * optimizer-partition file per rank, in a tag folder saved atomically. A rank's pieces: at stages 0-2 its range of
 * the flat vector, at stage 3 its owned part of every parameter tensor. With ranks as processes each process writes
 * its own rank file and rank 0 the model-states file, agreeing over the process group after each phase of the atomic
 * save; a load reads the whole checkpoint in every process and keeps its rank's part.
 *
 * <p>Two kinds of optimizer state exist, and a checkpoint loads only into the same kind: the network's own DL4J
 * updaters ({@code updater_state}, in DL4J's own updater-state layout, so {@code ds4j consolidate} can hand it back
 * to a plain DL4J updater) and a DeepSpeed {@code optimizer} section ({@code state.0}, {@code state.1}, ...: the
 * fused kernel's words, e.g. Adam's exp_avg and exp_avg_sq).
 */
package io.ds4j.dl4j.checkpoint;
