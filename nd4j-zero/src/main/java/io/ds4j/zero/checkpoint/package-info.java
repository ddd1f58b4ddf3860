/**
 * Checkpoint files on disk, free of DL4J: the binary format of one file ({@link ShardFile}), the atomic save of a
 * whole tag folder and the {@code latest} pointer ({@link CheckpointDirectory}), and the errors a reader gives
 * ({@link CheckpointException}).
 *
 * <p>Vocabulary. A <b>checkpoint directory</b> {@code D} holds one folder per <b>tag</b> (DeepSpeed's word: a name
 * such as {@code global_step100}) and a file {@code latest} naming the newest tag. A tag folder holds one
 * <b>model-states file</b> (the network, the step counters, the loss scale, the data position) and one
 * <b>optimizer-partition file</b> per rank (that rank's fp32 master pieces and optimizer state pieces). Every file
 * starts with a header that records the format version, the ds4j version, the config hash and the shard layout, and
 * ends with a CRC-32C checksum of everything before it, so a truncated file, a flipped byte or a file of another
 * format is named as such when it is read, before anything is loaded.
 *
 * <p>Atomicity. A save writes every file into a hidden temporary folder, forces each file and the folder to disk,
 * renames the folder to its tag and only then replaces {@code latest} by renaming a forced temporary file over it.
 * A crash at any point leaves {@code latest} naming a complete, checksummed folder (the previous one until the last
 * rename). Saving again under an existing tag moves the old folder aside to {@code <tag>.replaced} first and deletes
 * it last; a reader that finds the tag missing but {@code <tag>.replaced} present loads that one. Processes that each
 * hold one rank save together into one shared directory: rank 0 creates the temporary folder, each process writes and
 * forces its own files, rank 0 forces the folder and renames as above; after each phase every process learns whether
 * any failed, so all return or all throw and the previous checkpoint stays what {@code latest} names.
 */
package io.ds4j.zero.checkpoint;
