package io.ds4j.zero.comm.ucx;

import java.nio.ByteBuffer;

import org.openucx.jucx.ucp.UcpContext;
import org.openucx.jucx.ucp.UcpParams;
import org.openucx.jucx.ucp.UcpWorker;
import org.openucx.jucx.ucp.UcpWorkerParams;

/**
 * One rank's UCX communication context and worker, before it is connected to the others: {@link #address()} is what
 * the other ranks need to reach it (exchanged through the rendezvous), {@link UcxCollectives#connect} turns it into
 * collectives. UCX chooses the transport itself (shared memory within a host, TCP, RDMA/InfiniBand between hosts).
 *
 * <p>The worker is opened thread-safe, so {@link UcxCollectives#abort(Throwable)} may be called from any thread.
 */
public final class UcxNode implements AutoCloseable {
    private final UcpContext context;
    private final UcpWorker worker;
    private final byte[] address;
    private boolean closed;

    private UcxNode(UcpContext context, UcpWorker worker) {
        this.context = context;
        this.worker = worker;
        ByteBuffer a = worker.getAddress();
        this.address = new byte[a.remaining()];
        a.get(address);
    }

    /**
     * Opens a context (tag matching) and a worker.
     *
     * @throws IllegalStateException when UCX cannot be loaded, naming the package to install
     */
    public static UcxNode open() {
        UcxLibrary.require();
        UcpContext ctx = new UcpContext(new UcpParams().requestTagFeature());
        try {
            return new UcxNode(ctx, ctx.newWorker(new UcpWorkerParams().requestThreadSafety()));
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
    }

    /** The worker address other ranks connect to (a copy). */
    public byte[] address() {
        return address.clone();
    }

    UcpWorker worker() {
        return worker;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            worker.close();
            context.close();
        }
    }
}
