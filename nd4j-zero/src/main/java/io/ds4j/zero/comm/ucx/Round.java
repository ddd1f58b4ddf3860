package io.ds4j.zero.comm.ucx;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.ds4j.zero.comm.CollectiveAbortedException;

import org.openucx.jucx.UcxCallback;
import org.openucx.jucx.ucp.UcpRequest;
import org.openucx.jucx.ucp.UcpTagMessage;

/**
 * The messages of one collective (or one phase of it) on a {@link UcxLink}: post sends and receives, each returning a
 * handle, then either {@link #await()} them all or {@link #poll()} in a loop that posts more as earlier ones complete
 * (a pipeline). Messages to or from one peer with the same phase are matched in the order they are posted, so a
 * vector may go as several chunks under one tag.
 *
 * <p>Polling fails with {@link CollectiveAbortedException} when the group was aborted (here or by a peer's abort
 * message), a peer's connection failed, a peer sent a different collective (shape check or length), or a peer stayed
 * silent past the round's time.
 */
final class Round {
    /** How long a rank keeps waiting for a peer's abort message after its thread was interrupted. */
    private static final long INTERRUPT_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final UcxLink link;
    private final String op;
    private final int shapeCheck;
    private final int phase;
    private final long seq;
    private final long waitNanos;
    private final List<UcpRequest> requests = new ArrayList<>();
    /** Per message: its peer, whether it is a receive, whether it is done. */
    private final List<int[]> messages = new ArrayList<>();
    private int pending;
    private String mismatch;
    private int failedPeer = -1;
    private String failure;
    private long deadline;
    private boolean interrupted;
    private long lastMoved = System.nanoTime();

    Round(UcxLink link, String op, int shapeCheck, int phase, long seq, long waitNanos) {
        this.link = link;
        this.op = op;
        this.shapeCheck = shapeCheck;
        this.phase = phase;
        this.seq = seq;
        this.waitNanos = waitNanos;
        this.deadline = System.nanoTime() + waitNanos;
    }

    /** Sends {@code bytes} at native {@code address} to {@code peer} in this round's phase; returns its handle. */
    int send(int peer, long address, long bytes) {
        return send(peer, address, bytes, phase);
    }

    /** Sends {@code bytes} at native {@code address} to {@code peer} under {@code ph}; returns its handle. */
    int send(int peer, long address, long bytes, int ph) {
        return send(link.endpoint(peer), peer, address, bytes, ph);
    }

    /**
     * An empty message to {@code peer} over its control endpoint, when it has one (the handshake that connects it);
     * returns false otherwise.
     */
    boolean sendControl(int peer) {
        org.openucx.jucx.ucp.UcpEndpoint control = link.control(peer);
        if (control != null) {
            send(control, peer, 0, 0, phase);
        }
        return control != null;
    }

    private int send(org.openucx.jucx.ucp.UcpEndpoint ep, int peer, long address, long bytes, int ph) {
        int h = track(peer, false);
        long a = bytes == 0 ? link.emptyAddress() : address;
        long t0 = System.nanoTime();
        try {
            post(ep.sendTaggedNonBlocking(a, bytes, Tags.data(link.rank(), shapeCheck, ph, seq),
                    new UcxCallback() {
                        @Override
                        public void onSuccess(UcpRequest request) {
                            done(h);
                        }

                        @Override
                        public void onError(int status, String message) {
                            failed(peer, "sending to rank " + peer + " failed (UCX status " + status + ": " + message
                                    + ")");
                            done(h);
                        }
                    }));
        } catch (RuntimeException e) { // the endpoint failed before this send could be posted: the peer is gone
            failed(peer, "sending to rank " + peer + " failed (" + e.getMessage() + ")");
            done(h);
        } finally {
            link.meter().posting(System.nanoTime() - t0);
        }
        return h;
    }

    /** Receives exactly {@code bytes} from {@code peer} at native {@code address} in this round's phase. */
    int recv(int peer, long address, long bytes) {
        return recv(peer, address, bytes, phase);
    }

    /**
     * Receives exactly {@code bytes} from {@code peer} at native {@code address} under {@code ph}; returns its
     * handle. A message that has already arrived is probed first: jucx 1.12 reports no sender tag or length for a
     * receive that completes at once.
     */
    int recv(int peer, long address, long bytes, int ph) {
        int h = track(peer, true);
        long a = bytes == 0 ? link.emptyAddress() : address;
        long tag = Tags.data(peer, 0, ph, seq);
        long t0 = System.nanoTime();
        try {
            UcpTagMessage arrived = link.worker().tagProbeNonBlocking(tag, Tags.DATA_MASK, true);
            if (arrived != null) {
                checkArrival(peer, arrived.getSenderTag(), arrived.getRecvLength(), bytes);
                if (arrived.getRecvLength() > bytes) {
                    done(h); // a different collective: the group aborts, the message is left
                    return h;
                }
                post(link.worker().recvTaggedMessageNonBlocking(a, bytes, arrived, receiving(h, peer, bytes, false)));
            } else {
                post(link.worker().recvTaggedNonBlocking(a, bytes, tag, Tags.DATA_MASK, receiving(h, peer, bytes,
                        true)));
            }
        } catch (RuntimeException e) {
            failed(peer, "receiving from rank " + peer + " failed (" + e.getMessage() + ")");
            done(h);
        } finally {
            link.meter().posting(System.nanoTime() - t0);
        }
        return h;
    }

    private void post(UcpRequest r) {
        requests.add(r);
    }

    private synchronized int track(int peer, boolean recv) {
        messages.add(new int[] {peer, recv ? 1 : 0, 0});
        pending++;
        return messages.size() - 1;
    }

    private void checkArrival(int peer, long senderTag, long length, long bytes) {
        if (Tags.shapeCheck(senderTag) != shapeCheck || length != bytes) {
            mismatched(peer, length + " bytes", bytes);
        }
    }

    private UcxCallback receiving(int h, int peer, long bytes, boolean check) {
        return new UcxCallback() {
            @Override
            public void onSuccess(UcpRequest request) {
                if (check) {
                    checkArrival(peer, request.getSenderTag(), request.getRecvSize(), bytes);
                }
                done(h);
            }

            @Override
            public void onError(int status, String message) {
                if (status == org.openucx.jucx.ucs.UcsConstants.STATUS.UCS_ERR_MESSAGE_TRUNCATED) {
                    mismatched(peer, "more bytes", bytes);
                } else {
                    failed(peer, "receiving from rank " + peer + " failed (UCX status " + status + ": " + message
                            + ")");
                }
                done(h);
            }
        };
    }

    private synchronized void done(int h) {
        int[] m = messages.get(h);
        if (m[2] == 0) {
            m[2] = 1;
            pending--;
        }
    }

    /** Whether message {@code h} has completed. */
    synchronized boolean isDone(int h) {
        return messages.get(h)[2] != 0;
    }

    private synchronized void mismatched(int peer, String got, long expected) {
        if (mismatch == null) {
            mismatch = "rank " + link.rank() + " is in " + op + " (expecting " + expected + " bytes from rank " + peer
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
        while (!poll()) {
            pause();
        }
    }

    /** Backs off after nothing moved ({@link Backoff}), counted as waiting in the profile. */
    void pause() {
        long t0 = System.nanoTime();
        Backoff.pause(idle());
        link.meter().pause(System.nanoTime() - t0);
    }

    /** The profile this round's time goes to. */
    UcxProfile.Meter meter() {
        return link.meter();
    }

    /**
     * Progresses the worker once and checks for failures and the deadline.
     *
     * @return whether every message posted so far is done
     */
    boolean poll() {
        int progressed = link.progress();
        checkFailures();
        synchronized (this) {
            if (pending == 0) {
                return true;
            }
        }
        long now = System.nanoTime();
        if (!interrupted && Thread.interrupted()) {
            interrupted = true; // a peer's abort usually follows; wait a little for it
            Thread.currentThread().interrupt();
            deadline = Math.min(deadline, now + INTERRUPT_GRACE_NANOS);
        }
        if (now - deadline > 0) {
            expire();
        }
        if (progressed > 0) {
            lastMoved = now;
        }
        return false;
    }

    /** Notes that the caller moved something (posted or summed), which counts as progress. */
    void moved() {
        lastMoved = System.nanoTime();
    }

    /** How long nothing has moved in this round (for {@link Backoff#pause(long)}). */
    private long idle() {
        return System.nanoTime() - lastMoved;
    }

    private void checkFailures() {
        UcxLink.Abort a = link.abortState();
        if (a != null) {
            cancel();
            throw new CollectiveAbortedException(link.rank(), op, a.rank(), a.cause());
        }
        String why;
        int peer;
        synchronized (this) {
            if (mismatch != null) {
                fail(link.rank(), new IllegalStateException("ranks entered different collectives (every rank must"
                        + " call the same collectives in the same order with the same shape): " + mismatch));
            }
            peer = failedPeer;
            why = failure;
            for (int i = 0; i < messages.size() && peer < 0 && link.anyLost(); i++) {
                int q = messages.get(i)[0];
                if (messages.get(i)[2] == 0 && link.lostReason(q) != null) {
                    peer = q;
                    why = "the connection to rank " + q + " was lost (" + link.lostReason(q) + ")";
                }
            }
        }
        if (peer >= 0) {
            fail(peer, new IllegalStateException("rank " + link.rank() + " in " + op + ": " + why));
        }
    }

    private void expire() {
        if (interrupted) {
            fail(link.rank(), new InterruptedException("rank " + link.rank() + " was interrupted in " + op));
        }
        List<Integer> silent = new ArrayList<>();
        synchronized (this) {
            for (int pass = 1; pass >= 0 && silent.isEmpty(); pass--) { // receives first, then sends
                for (int[] m : messages) {
                    if (m[1] == pass && m[2] == 0 && !silent.contains(m[0])) {
                        silent.add(m[0]);
                    }
                }
            }
        }
        java.util.Collections.sort(silent);
        int culprit = silent.isEmpty() ? link.rank() : silent.get(0);
        fail(culprit, new TimeoutException("rank(s) " + silent + " did not enter " + op + " within "
                + TimeUnit.NANOSECONDS.toMillis(waitNanos) + " ms while rank " + link.rank() + " waited"));
    }

    private void fail(int failingRank, Throwable cause) {
        cancel();
        link.abort(failingRank, cause);
        link.throwIfAborted(op);
        throw new CollectiveAbortedException(link.rank(), op, failingRank, cause);
    }

    private void cancel() {
        for (UcpRequest r : requests) {
            if (!r.isCompleted()) {
                try {
                    link.worker().cancelRequest(r);
                } catch (RuntimeException ignored) {
                    // already completing; the group is aborted either way
                }
            }
        }
    }
}
