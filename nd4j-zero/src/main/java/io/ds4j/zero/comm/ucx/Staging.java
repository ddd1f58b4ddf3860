package io.ds4j.zero.comm.ucx;

import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

import org.openucx.jucx.UcxUtils;

/**
 * The direct buffers that Java-array collectives go through (UCX cannot send from or receive into the Java heap) and
 * the owner-sum receives peers' contributions into; each grows on demand (doubling) and is kept for the next
 * collective.
 */
final class Staging {
    private ByteBuffer send = UcxLink.direct(16);
    private ByteBuffer recv = UcxLink.direct(16);

    /** A float view of the send buffer, room for {@code floats} at least. */
    FloatBuffer sendFloats(long floats) {
        send = grown(send, 4 * floats);
        return send.asFloatBuffer();
    }

    /** A double view of the send buffer, room for {@code doubles} at least. */
    DoubleBuffer sendDoubles(long doubles) {
        send = grown(send, 8 * doubles);
        return send.asDoubleBuffer();
    }

    /** The send buffer's native address (after {@link #sendFloats} or {@link #sendDoubles} sized it). */
    long sendAddress() {
        return UcxUtils.getAddress(send);
    }

    /** The receive buffer's native address, room for {@code floats} at least. */
    long recvAddress(long floats) {
        recv = grown(recv, 4 * floats);
        return UcxUtils.getAddress(recv);
    }

    private static ByteBuffer grown(ByteBuffer b, long bytes) {
        return b.capacity() >= bytes ? b : UcxLink.direct(Math.min(Integer.MAX_VALUE, Math.max(bytes,
                2L * b.capacity())));
    }
}
