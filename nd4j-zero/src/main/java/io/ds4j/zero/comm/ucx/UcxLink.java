package io.ds4j.zero.comm.ucx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

import io.ds4j.zero.comm.CollectiveAbortedException;

import org.openucx.jucx.UcxCallback;
import org.openucx.jucx.UcxUtils;
import org.openucx.jucx.ucp.UcpEndpoint;
import org.openucx.jucx.ucp.UcpEndpointParams;
import org.openucx.jucx.ucp.UcpRequest;
import org.openucx.jucx.ucp.UcpWorker;

/**
 * One rank's connections to every other rank of a UCX group, and the group's abort state. Collectives are built from
 * {@link Round}s: post sends and receives, then {@link Round#await()}, which progresses the worker until every message
 * is done, or throws {@link CollectiveAbortedException} when the group was aborted (here or by a peer's abort
 * message), a peer's connection failed, a peer sent a different collective, or a peer stayed silent past the timeout.
 * The first abort wins; an abort is sent to every peer so that they stop too.
 */
final class UcxLink implements AutoCloseable {
    private static final long CLOSE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long GOODBYE_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** How a lost peer is noticed ({@link ErrorHandling}, from {@code DS4J_UCX_ERROR_HANDLING}). */
    private final ErrorHandling errors = ErrorHandling.parse(System.getenv(ErrorHandling.VARIABLE));

    /** The failing rank and its failure. */
    record Abort(int rank, Throwable cause) {
    }

    private final UcxNode node;
    private final UcpWorker worker;
    private final int rank;
    private final int worldSize;
    private final long timeoutNanos;
    private final UcpEndpoint[] endpoints;
    /** Per peer, the endpoint that carries the handshake and aborts (the data endpoint unless {@code control}). */
    private final UcpEndpoint[] controls;
    private final AtomicReferenceArray<String> lost;
    /** Whether any peer was lost: lets a round skip looking at each of its messages while none is. */
    private volatile boolean anyLost;
    private final AtomicReference<Abort> abort = new AtomicReference<>();
    private final ByteBuffer abortIn = ByteBuffer.allocateDirect(RemoteFailure.MAX_BYTES);
    private final ByteBuffer empty = ByteBuffer.allocateDirect(16);
    private final List<ByteBuffer> abortOut = new ArrayList<>();
    private UcpRequest abortRecv;
    private boolean closed;
    private final UcxProfile.Meter meter = new UcxProfile.Meter();

    UcxLink(UcxNode node, int rank, List<byte[]> addresses, long timeoutNanos) {
        this.node = node;
        this.worker = node.worker();
        this.rank = rank;
        this.worldSize = addresses.size();
        this.timeoutNanos = timeoutNanos;
        this.endpoints = new UcpEndpoint[worldSize];
        this.controls = new UcpEndpoint[worldSize];
        this.lost = new AtomicReferenceArray<>(worldSize);
        // control endpoints first: one that UCX cannot give peer error handling fails here, on every rank alike,
        // before a data endpoint attaches to a peer's shared memory, which a peer that failed first has removed
        // (the error would then name that instead of UCX_TLS and the fix)
        for (int q = 0; q < worldSize; q++) {
            if (q != rank && errors.control()) {
                controls[q] = open(q, addresses.get(q), true);
            }
        }
        for (int q = 0; q < worldSize; q++) {
            if (q != rank) {
                endpoints[q] = open(q, addresses.get(q), errors.dataPeer());
                if (!errors.control()) {
                    controls[q] = endpoints[q];
                }
            }
        }
        abortRecv = worker.recvTaggedNonBlocking(UcxUtils.getAddress(abortIn), abortIn.capacity(), Tags.ABORT_TAG,
                Tags.ABORT_MASK, new UcxCallback() {
                    @Override
                    public void onSuccess(UcpRequest request) {
                        received(request.getRecvSize());
                    }

                    @Override
                    public void onError(int status, String message) {
                        // canceled at close; jucx's default would throw into progress()
                    }
                });
    }

    /** An endpoint to {@code peer}; one with peer error handling that UCX cannot offer is named with the fix. */
    private UcpEndpoint open(int peer, byte[] address, boolean peerErrors) {
        try {
            return worker.newEndpoint(endpointParams(peer, address, peerErrors));
        } catch (RuntimeException e) {
            if (!peerErrors) {
                throw e;
            }
            throw new IllegalStateException("rank " + rank + " cannot open a UCX endpoint with peer error handling to"
                    + " rank " + peer + " (" + e.getMessage() + "): none of the enabled transports can detect a failed"
                    + " peer (UCX_TLS=" + System.getenv().getOrDefault("UCX_TLS", "<unset>") + "; shared memory"
                    + " cannot); enable tcp or an RDMA transport, or set " + ErrorHandling.VARIABLE + "=none on every"
                    + " rank (a dead peer is then named by a failed transfer or the collective timeout)", e);
        }
    }

    /**
     * An endpoint to {@code peer}; its failure (with or without UCX's peer error handling: a transfer with a dead
     * process fails either way) marks the peer lost instead of throwing out of a progress call.
     */
    private UcpEndpointParams endpointParams(int peer, byte[] address, boolean peerErrors) {
        ByteBuffer a = ByteBuffer.allocateDirect(address.length).put(address);
        a.flip();
        UcpEndpointParams p = new UcpEndpointParams().setUcpAddress(a).setErrorHandler((ep, status, msg) -> {
            lost.compareAndSet(peer, null, "UCX status " + status + ": " + msg);
            anyLost = true;
        });
        return peerErrors ? p.setPeerErrorHandlingMode() : p;
    }

    int rank() {
        return rank;
    }

    int worldSize() {
        return worldSize;
    }

    private void received(long size) {
        byte[] m = new byte[(int) size];
        abortIn.duplicate().get(m);
        try {
            abort.compareAndSet(null, new Abort(RemoteFailure.rank(m), RemoteFailure.cause(m)));
        } catch (java.io.IOException e) {
            abort.compareAndSet(null, new Abort(-1, new IllegalStateException("unreadable abort message", e)));
        }
    }

    /** Throws when the group was aborted. */
    void throwIfAborted(String op) {
        Abort a = abort.get();
        if (a != null) {
            throw new CollectiveAbortedException(rank, op, a.rank(), a.cause());
        }
    }

    /**
     * Marks {@code failingRank} as failed with {@code cause} and tells every peer; the first abort of a group wins.
     * Waits briefly (not for a dead peer) until the abort messages have left.
     */
    void abort(int failingRank, Throwable cause) {
        if (!abort.compareAndSet(null, new Abort(failingRank, cause))) {
            return;
        }
        byte[] m = RemoteFailure.encode(failingRank, cause);
        List<UcpRequest> sent = new ArrayList<>();
        synchronized (abortOut) {
            for (int q = 0; q < worldSize; q++) {
                if (endpoints[q] != null && lost.get(q) == null) {
                    ByteBuffer b = ByteBuffer.allocateDirect(m.length).put(0, m); // position 0: jucx sends from it
                    abortOut.add(b);
                    try {
                        sent.add(controls[q].sendTaggedNonBlocking(UcxUtils.getAddress(b), m.length,
                                Tags.ABORT_TAG, new UcxCallback() {
                                    @Override
                                    public void onError(int status, String message) {
                                        // that peer is gone; it cannot be told
                                    }
                                }));
                    } catch (RuntimeException gone) {
                        // UCX refuses to post to an endpoint that already failed (e.g. "Endpoint timeout" once its
                        // keepalive noticed a killed peer, before the error handler marked it lost): that peer
                        // cannot be told either, and the raw UCX error must not replace the abort being reported
                    }
                }
            }
        }
        long deadline = System.nanoTime() + CLOSE_NANOS;
        while (System.nanoTime() < deadline && !sent.stream().allMatch(UcpRequest::isCompleted)) {
            progress();
            Thread.onSpinWait();
        }
    }

    int progress() {
        long t0 = System.nanoTime();
        try {
            int events = worker.progress();
            meter.progress(System.nanoTime() - t0, events > 0);
            return events;
        } catch (Exception e) {
            throw new IllegalStateException("rank " + rank + ": UCX worker progress failed: " + e, e);
        }
    }

    /** Where this rank's time goes ({@link UcxProfile}). */
    UcxProfile.Meter meter() {
        return meter;
    }

    long emptyAddress() {
        return UcxUtils.getAddress(empty);
    }

    /** A new round of messages of one collective ({@code op} names it in errors). */
    Round round(String op, int shapeCheck, int phase, long seq) {
        return new Round(this, op, shapeCheck, phase, seq, timeoutNanos);
    }

    /** A round that waits at least {@code minimum} (connecting, when peers may still be starting). */
    Round round(String op, int shapeCheck, int phase, long seq, java.time.Duration minimum) {
        return new Round(this, op, shapeCheck, phase, seq, Math.max(timeoutNanos, minimum.toNanos()));
    }

    UcpEndpoint endpoint(int peer) {
        return endpoints[peer];
    }

    /** The endpoint for the handshake and aborts, or null when it is the data endpoint. */
    UcpEndpoint control(int peer) {
        return controls[peer] == endpoints[peer] ? null : controls[peer];
    }

    UcpWorker worker() {
        return worker;
    }

    /** The group's abort, or null. */
    Abort abortState() {
        return abort.get();
    }

    /** Whether the connection to some peer was lost ({@link #lostReason}). */
    boolean anyLost() {
        return anyLost;
    }

    /** Why the connection to {@code peer} was lost, or null while it stands. */
    String lostReason(int peer) {
        return lost.get(peer);
    }

    /**
     * Says goodbye to every peer (unless the group was aborted) so that nobody closes while its last messages are
     * still on the way, then closes the endpoints and the node. A peer that does not say goodbye within
     * {@link #GOODBYE_NANOS} is not waited for.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (abort.get() == null) {
            goodbye();
        }
        if (abortRecv != null && !abortRecv.isCompleted()) {
            worker.cancelRequest(abortRecv);
        }
        List<UcpRequest> closing = new ArrayList<>();
        for (int q = 0; q < worldSize; q++) {
            if (endpoints[q] != null) {
                closing.add(errors.dataPeer() ? endpoints[q].closeNonBlockingForce()
                        : endpoints[q].closeNonBlockingFlush());
                if (controls[q] != endpoints[q]) {
                    closing.add(controls[q].closeNonBlockingForce());
                }
            }
        }
        long deadline = System.nanoTime() + CLOSE_NANOS;
        while (System.nanoTime() < deadline && !closing.stream().allMatch(r -> r == null || r.isCompleted())) {
            progress();
            Thread.onSpinWait();
        }
        if (closing.stream().allMatch(r -> r == null || r.isCompleted())) {
            node.close();
        }
        // else a peer that stopped answering without closing its connections (a hung or unreachable host) never
        // acknowledges the flush of a transfer to it, and UCX 1.13 aborts the whole process (an assertion) when a
        // worker is destroyed with that flush pending, before the caller could report the error. The worker and its
        // context are left to the process's exit instead: the group is broken either way, and a process that goes on
        // (a Spark executor) keeps one worker's memory.
    }

    private void goodbye() {
        Round round = new Round(this, "close", Tags.shapeCheck(-2, 0, 0, -1), 2, 0xFFFF_FFFEL,
                Math.min(timeoutNanos, GOODBYE_NANOS));
        for (int q = 0; q < worldSize; q++) {
            if (endpoints[q] != null) {
                round.recv(q, 0, 0);
                round.send(q, 0, 0);
            }
        }
        try {
            round.await();
        } catch (CollectiveAbortedException e) {
            // a peer left without goodbye (it failed, or closed after an abort): nothing more to deliver to it
        }
    }

    /** Direct native-order buffers used as staging and views. */
    static ByteBuffer direct(long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a UCX staging buffer of " + bytes + " bytes exceeds 2 GiB; split the"
                    + " collective into buckets");
        }
        return ByteBuffer.allocateDirect((int) Math.max(16, bytes)).order(ByteOrder.nativeOrder());
    }
}
