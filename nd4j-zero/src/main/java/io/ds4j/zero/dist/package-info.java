/**
 * Jobs whose ranks are processes: where this process stands ({@link io.ds4j.zero.dist.Distributed}, read from the
 * variables torchrun, {@code mpirun}, {@code srun} or {@code bin/ds4j launch} set), the TCP
 * {@link io.ds4j.zero.dist.Rendezvous} at {@code MASTER_ADDR:MASTER_PORT} where the ranks meet, check that they run the
 * same job and exchange their transport addresses, and {@link io.ds4j.zero.dist.ProcessGroup}, which turns both into
 * UCX collectives.
 *
 * <p>Vocabulary: the <b>master</b> is rank 0 in its role of rendezvous host; the <b>fingerprint</b> is the text every
 * rank must agree on before any tensor moves (e.g. a hash of the DeepSpeed config and the model's parameter count);
 * the <b>source</b> of a {@link io.ds4j.zero.dist.Distributed} names the launcher variables it came from, so that
 * every error can say which variable to fix.
 */
package io.ds4j.zero.dist;
