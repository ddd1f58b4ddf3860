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
import org.openucx.jucx.ucp.UcpTagMessage;
import org.openucx.jucx.ucp.UcpWorker;

/**
 * One rank's connections to every other rank of a UCX group, and the group's abort state. Collectives are built from
 * {@link Round}s: post sends and receives, then {@link Round#await()}, which progresses the worker until every message
 * is done, or throws {@link CollectiveAbortedException} when the group was aborted (here or by a peer's abort
 * message), a peer's connection failed, a peer sent a different collective, or a peer stayed silent past the timeout.
 * The first abort wins; an abort is sent to every peer so that they stop too.
 */
final class UcxLink implements AutoCloseable {
    /** How long a rank keeps waiting for a peer's abort message after its thread was interrupted. */
    private static final long INTERRUPT_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long CLOSE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long GOODBYE_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** The failing rank and its failure. */
    record Abort(int rank, Throwable cause) {
    }

    private final UcxNode node;
    private final UcpWorker worker;
    private final int rank;
    private final int worldSize;
    private final long timeoutNanos;
    private final UcpEndpoint[] endpoints;
    private final AtomicReferenceArray<String> lost;
    private final AtomicReference<Abort> abort = new AtomicReference<>();
    private final ByteBuffer abortIn = ByteBuffer.allocateDirect(RemoteFailure.MAX_BYTES);
    private final ByteBuffer empty = ByteBuffer.allocateDirect(16);
    private final List<ByteBuffer> abortOut = new ArrayList<>();
    private UcpRequest abortRecv;
    private boolean closed;

    UcxLink(UcxNode node, int rank, List<byte[]> addresses, long timeoutNanos) {
        this.node = node;
        this.worker = node.worker();
        this.rank = rank;
        this.worldSize = addresses.size();
        this.timeoutNanos = timeoutNanos;
        this.endpoints = new UcpEndpoint[worldSize];
        this.lost = new AtomicReferenceArray<>(worldSize);
        for (int q = 0; q < worldSize; q++) {
            if (q != rank) {
                int peer = q;
                ByteBuffer a = ByteBuffer.allocateDirect(addresses.get(q).length).put(addresses.get(q));
                a.flip();
                endpoints[q] = worker.newEndpoint(new UcpEndpointParams().setUcpAddress(a).setPeerErrorHandlingMode()
                        .setErrorHandler((ep, status, msg) -> lost.compareAndSet(peer, null,
                                "UCX status " + status + ": " + msg)));
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
                    sent.add(endpoints[q].sendTaggedNonBlocking(UcxUtils.getAddress(b), m.length, Tags.ABORT_TAG,
                            new UcxCallback() {
                                @Override
                                public void onError(int status, String message) {
                                    // that peer is gone; it cannot be told
                                }
                            }));
                }
            }
        }
        long deadline = System.nanoTime() + CLOSE_NANOS;
        while (System.nanoTime() < deadline && !sent.stream().allMatch(UcpRequest::isCompleted)) {
            progress();
            Thread.onSpinWait();
        }
    }

    private int progress() {
        try {
            return worker.progress();
        } catch (Exception e) {
            throw new IllegalStateException("rank " + rank + ": UCX worker progress failed: " + e, e);
        }
    }

    long emptyAddress() {
        return UcxUtils.getAddress(empty);
    }

    /** A new round of messages of one collective ({@code op} names it in errors). */
    Round round(String op, int shapeCheck, int phase, long seq) {
        return new Round(op, shapeCheck, phase, seq, timeoutNanos);
    }

    /** A round that waits at least {@code minimum} (connecting, when peers may still be starting). */
    Round round(String op, int shapeCheck, int phase, long seq, java.time.Duration minimum) {
        return new Round(op, shapeCheck, phase, seq, Math.max(timeoutNanos, minimum.toNanos()));
    }

    /** The messages of one phase of one collective. */
    final class Round {
        private final String op;
        private final int shapeCheck;
        private final int phase;
        private final long seq;
        private final List<UcpRequest> requests = new ArrayList<>();
        private final boolean[] recvDone = new boolean[worldSize];
        private final boolean[] sendDone = new boolean[worldSize];
        private final boolean[] waitsFor = new boolean[worldSize];
        private int pending;
        private String mismatch;
        private int failedPeer = -1;
        private String failure;
        private final long waitNanos;

        private Round(String op, int shapeCheck, int phase, long seq, long waitNanos) {
            this.waitNanos = waitNanos;
            this.op = op;
            this.shapeCheck = shapeCheck;
            this.phase = phase;
            this.seq = seq;
            java.util.Arrays.fill(recvDone, true);
            java.util.Arrays.fill(sendDone, true);
        }

        /** Sends {@code bytes} at native {@code address} to {@code peer}. */
        void send(int peer, long address, long bytes) {
            waitsFor[peer] = true;
            sendDone[peer] = false;
            pending++;
            long a = bytes == 0 ? emptyAddress() : address;
            requests.add(endpoints[peer].sendTaggedNonBlocking(a, bytes, Tags.data(rank, shapeCheck, phase, seq),
                    new UcxCallback() {
                        @Override
                        public void onSuccess(UcpRequest request) {
                            done(sendDone, peer);
                        }

                        @Override
                        public void onError(int status, String message) {
                            failed(peer, "sending to rank " + peer + " failed (UCX status " + status + ": " + message
                                    + ")");
                            done(sendDone, peer);
                        }
                    }));
        }

        /**
         * Receives exactly {@code bytes} from {@code peer} at native {@code address}. A message that has already
         * arrived is probed first: jucx 1.12 reports no sender tag or length for a receive that completes at once.
         */
        void recv(int peer, long address, long bytes) {
            waitsFor[peer] = true;
            recvDone[peer] = false;
            pending++;
            long a = bytes == 0 ? emptyAddress() : address;
            long tag = Tags.data(peer, 0, phase, seq);
            UcpTagMessage arrived = worker.tagProbeNonBlocking(tag, Tags.DATA_MASK, true);
            if (arrived != null) {
                checkArrival(peer, arrived.getSenderTag(), arrived.getRecvLength(), bytes);
                if (arrived.getRecvLength() > bytes) {
                    done(recvDone, peer); // a different collective: the group aborts, the message is left
                    return;
                }
                requests.add(worker.recvTaggedMessageNonBlocking(a, bytes, arrived, receiving(peer, bytes, false)));
            } else {
                requests.add(worker.recvTaggedNonBlocking(a, bytes, tag, Tags.DATA_MASK, receiving(peer, bytes,
                        true)));
            }
        }

        private void checkArrival(int peer, long senderTag, long length, long bytes) {
            if (Tags.shapeCheck(senderTag) != shapeCheck || length != bytes) {
                mismatched(peer, length + " bytes", bytes);
            }
        }

        private UcxCallback receiving(int peer, long bytes, boolean check) {
            return new UcxCallback() {
                @Override
                public void onSuccess(UcpRequest request) {
                    if (check) {
                        checkArrival(peer, request.getSenderTag(), request.getRecvSize(), bytes);
                    }
                    done(recvDone, peer);
                }

                @Override
                public void onError(int status, String message) {
                    if (status == org.openucx.jucx.ucs.UcsConstants.STATUS.UCS_ERR_MESSAGE_TRUNCATED) {
                        mismatched(peer, "more bytes", bytes);
                    } else {
                        failed(peer, "receiving from rank " + peer + " failed (UCX status " + status + ": "
                                + message + ")");
                    }
                    done(recvDone, peer);
                }
            };
        }

        private synchronized void done(boolean[] flags, int peer) {
            flags[peer] = true;
            pending--;
        }

        private synchronized void mismatched(int peer, String got, long expected) {
            if (mismatch == null) {
                mismatch = "rank " + rank + " is in " + op + " (expecting " + expected + " bytes from rank " + peer
                        + ") but rank " + peer + " sent a different collective (" + got + ")";
            }
        }

        private synchronized void failed(int peer, String why) {
            if (failedPeer < 0) {
                failedPeer = peer;
                failure = why;
            }
        }

        /** Progresses until every message of the round is done; see the class comment for how it fails. */
        void await() {
            long deadline = System.nanoTime() + waitNanos;
            boolean interrupted = false;
            int idle = 0;
            try {
                while (true) {
                    int progressed = progress();
                    checkFailures();
                    synchronized (this) {
                        if (pending == 0) {
                            return;
                        }
                    }
                    long now = System.nanoTime();
                    if (!interrupted && Thread.interrupted()) {
                        interrupted = true; // a peer's abort usually follows; wait a little for it
                        deadline = Math.min(deadline, now + INTERRUPT_GRACE_NANOS);
                    }
                    if (now - deadline > 0) {
                        expire(interrupted);
                    }
                    idle = progressed > 0 ? 0 : idle + 1;
                    Backoff.pause(idle);
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private void checkFailures() {
            Abort a = abort.get();
            if (a != null) {
                cancel();
                throw new CollectiveAbortedException(rank, op, a.rank(), a.cause());
            }
            String why;
            int peer;
            synchronized (this) {
                if (mismatch != null) {
                    fail(rank, new IllegalStateException("ranks entered different collectives (every rank must call"
                            + " the same collectives in the same order with the same shape): " + mismatch));
                }
                peer = failedPeer;
                why = failure;
                for (int q = 0; q < worldSize && peer < 0; q++) {
                    if (waitsFor[q] && !(recvDone[q] && sendDone[q]) && lost.get(q) != null) {
                        peer = q;
                        why = "the connection to rank " + q + " was lost (" + lost.get(q) + ")";
                    }
                }
            }
            if (peer >= 0) {
                fail(peer, new IllegalStateException("rank " + rank + " in " + op + ": " + why));
            }
        }

        private void expire(boolean interrupted) {
            if (interrupted) {
                fail(rank, new InterruptedException("rank " + rank + " was interrupted in " + op));
            }
            List<Integer> silent = new ArrayList<>();
            synchronized (this) {
                for (int q = 0; q < worldSize; q++) {
                    if (!recvDone[q]) {
                        silent.add(q);
                    }
                }
                for (int q = 0; q < worldSize && silent.isEmpty(); q++) {
                    if (!sendDone[q]) {
                        silent.add(q);
                    }
                }
            }
            int culprit = silent.isEmpty() ? rank : silent.get(0);
            fail(culprit, new java.util.concurrent.TimeoutException("rank(s) " + silent + " did not enter " + op
                    + " within " + TimeUnit.NANOSECONDS.toMillis(waitNanos) + " ms while rank " + rank
                    + " waited"));
        }

        private void fail(int failingRank, Throwable cause) {
            cancel();
            abort(failingRank, cause);
            throwIfAborted(op);
            throw new CollectiveAbortedException(rank, op, failingRank, cause);
        }

        private void cancel() {
            for (UcpRequest r : requests) {
                if (!r.isCompleted()) {
                    try {
                        worker.cancelRequest(r);
                    } catch (RuntimeException ignored) {
                        // already completing; the group is aborted either way
                    }
                }
            }
        }
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
        for (UcpEndpoint ep : endpoints) {
            if (ep != null) {
                closing.add(ep.closeNonBlockingForce());
            }
        }
        long deadline = System.nanoTime() + CLOSE_NANOS;
        while (System.nanoTime() < deadline && !closing.stream().allMatch(r -> r == null || r.isCompleted())) {
            progress();
            Thread.onSpinWait();
        }
        node.close();
    }

    private void goodbye() {
        Round round = new Round("close", Tags.shapeCheck(-2, 0, 0, -1), 2, 0xFFFF_FFFEL,
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
