/**
 * Collectives between ranks that are separate processes, possibly on separate hosts, over UCX
 * (<a href="https://openucx.org">openucx.org</a>) through its Java binding jucx. UCX picks the transport itself:
 * shared memory between processes of one host, TCP, or RDMA/InfiniBand.
 *
 * <p>Vocabulary (in addition to {@link io.ds4j.zero.comm}'s):
 * <ul>
 *   <li><b>node</b>: one rank's UCX context and worker ({@link io.ds4j.zero.comm.ucx.UcxNode}); its <b>address</b>
 *       is the opaque byte string other ranks connect to, exchanged through a rendezvous.</li>
 *   <li><b>round</b>: the messages of one phase of one collective, posted together and awaited together.</li>
 *   <li><b>tag</b>: the 64-bit label UCX matches a receive with a send by; it carries the source rank, the
 *       collective's sequence number and phase, and a check of the collective's shape ({@code Tags}).</li>
 *   <li><b>control endpoint</b>: a second endpoint to each peer, with UCX's peer error handling, that carries only
 *       the connect handshake and aborts, so that the data endpoints may use shared memory and a lost peer is still
 *       named at once ({@code ErrorHandling}).</li>
 *   <li><b>segment owner</b>: rank r owns segment r of an all-reduced vector and adds every rank's contribution
 *       to it in rank order, which keeps results bit-identical to the in-process collectives.</li>
 * </ul>
 *
 * <p>The native UCX library ({@code libucp.so.0}) comes from the operating system ({@code apt-get install -y
 * libucx0}); {@link io.ds4j.zero.comm.ucx.UcxLibrary} says whether it loads and names the package when it does not.
 */
package io.ds4j.zero.comm.ucx;
