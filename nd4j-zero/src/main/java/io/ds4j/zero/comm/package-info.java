/**
 * Collective communication between ranks: {@link io.ds4j.zero.comm.Collectives} (one small interface every
 * transport implements), {@link io.ds4j.zero.comm.InProcessCollectives} (ranks are threads of one JVM sharing memory)
 * and the accounting of what moved ({@link io.ds4j.zero.comm.CommStats}). A transport that can read a rank's vector
 * where it lives also implements {@link io.ds4j.zero.comm.BufferCollectives} (a reduce-scatter from a
 * {@code FloatBuffer}, an ND4J array's native memory); the in-process one does, and works in a contiguous ND4J array's
 * own memory for the interface's INDArray collectives, so no whole vector is copied onto the heap.
 *
 * <p>Vocabulary:
 * <ul>
 *   <li><b>group</b>: the {@code worldSize} rank handles created together; every collective is entered by all of them
 *       in the same order with the same shape (kind, length, stride, root).</li>
 *   <li><b>block</b>: a run of {@code length} elements that one rank contributes to (or receives from) a collective;
 *       block q of a strided buffer starts at {@code offset + q * stride}.</li>
 *   <li><b>abort</b>: a rank that fails calls {@link io.ds4j.zero.comm.Collectives#abort(Throwable)}; every rank
 *       blocked in, or later entering, a collective of the group throws
 *       {@link io.ds4j.zero.comm.CollectiveAbortedException} naming the failing rank and its cause. A rank that does
 *       not arrive within the group's timeout is treated as failed in the same way, so a broken group never hangs.</li>
 *   <li><b>ring volume</b>: the number of elements a rank would receive if the collective were run with the ring
 *       algorithm NCCL uses. {@link io.ds4j.zero.comm.CommStats} counts this volume, whatever the transport really
 *       does, so the numbers are comparable across transports and with the ZeRO paper (section 7: stages 0 to 2 move
 *       2&Psi; per rank per step).</li>
 * </ul>
 */
package io.ds4j.zero.comm;
