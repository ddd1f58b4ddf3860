package io.ds4j.zero.dist;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The bootstrap of a job whose ranks are processes: rank 0 listens on TCP at {@code MASTER_PORT}, every other rank
 * connects to {@code MASTER_ADDR:MASTER_PORT} (retrying until rank 0 is up or the timeout passes) and sends its rank,
 * its world size, a fingerprint of its job (config and model) and its transport address; rank 0 checks that all
 * agree and sends every rank the list of addresses. A disagreement (world size, fingerprint, duplicate rank) fails
 * every rank that joined, naming the rank and both values. Plain TCP carries only this handshake; tensors never do.
 */
public final class Rendezvous {
    private static final int MAGIC = 0x44533452; // "DS4R"
    private static final int VERSION = 1;
    private static final int CONNECT_TRY_MS = 2000;
    private static final int RETRY_MS = 200;

    private Rendezvous() {
    }

    /**
     * Exchanges {@code address} with every rank of {@code d}.
     *
     * @param d           this process's place in the job
     * @param fingerprint what every rank must agree on (e.g. a hash of the config and the model's shape)
     * @param address     this rank's transport address
     * @return every rank's address, index r for rank r
     * @throws RendezvousException naming the variable, the address, or the disagreeing rank
     */
    public static List<byte[]> exchange(Distributed d, String fingerprint, byte[] address) {
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(address, "address");
        if (d.worldSize() == 1) {
            return List.of(address.clone());
        }
        return d.rank() == 0 ? new RendezvousMaster(d, fingerprint, address).run() : join(d, fingerprint, address);
    }

    /** Thrown when the ranks cannot meet or do not agree. */
    public static final class RendezvousException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RendezvousException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static List<byte[]> join(Distributed d, String fingerprint, byte[] address) {
        long deadline = System.nanoTime() + d.timeout().toNanos();
        try (Socket s = connect(d, deadline)) {
            int left = (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            s.setSoTimeout(left);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(d.rank());
            out.writeInt(d.worldSize());
            out.writeUTF(fingerprint);
            writeBytes(out, address);
            out.flush();
            return readReply(new DataInputStream(s.getInputStream()), d);
        } catch (SocketTimeoutException e) {
            throw new RendezvousException("rank " + d.rank() + ": the rendezvous at " + where(d) + " did not complete"
                    + " within " + d.timeout().toSeconds() + " s (rank 0 waits for all " + d.worldSize()
                    + " ranks; did they all start?)", e);
        } catch (IOException e) {
            throw new RendezvousException("rank " + d.rank() + ": the rendezvous at " + where(d) + " failed: " + e, e);
        }
    }

    private static List<byte[]> readReply(DataInputStream in, Distributed d) throws IOException {
        if (!in.readBoolean()) {
            throw new RendezvousException("rank " + d.rank() + ": rank 0 refused the rendezvous: " + in.readUTF(),
                    null);
        }
        int n = in.readInt();
        List<byte[]> all = new ArrayList<>();
        for (int q = 0; q < n; q++) {
            all.add(readBytes(in));
        }
        return List.copyOf(all);
    }

    private static Socket connect(Distributed d, long deadline) throws IOException {
        IOException last;
        do {
            Socket s = new Socket();
            try {
                InetSocketAddress target = new InetSocketAddress(d.masterAddr(), d.masterPort());
                if (target.isUnresolved()) {
                    throw new UnknownHostException(d.masterAddr());
                }
                s.connect(target, CONNECT_TRY_MS);
                return s;
            } catch (UnknownHostException e) {
                s.close();
                throw new RendezvousException("rank " + d.rank() + ": cannot resolve the master host " + where(d)
                        + ": unknown host; set MASTER_ADDR to rank 0's host name or IP address", e);
            } catch (IOException e) {
                s.close();
                last = e;
            }
            sleep(RETRY_MS);
        } while (System.nanoTime() - deadline < 0);
        throw new RendezvousException("rank " + d.rank() + ": cannot reach the master at " + where(d) + " within "
                + d.timeout().toSeconds() + " s (" + last.getMessage() + "); check that rank 0 runs on that host and"
                + " that MASTER_ADDR and MASTER_PORT name it", last);
    }

    /** The master's address as the variables that set it, for messages. */
    static String where(Distributed d) {
        return "MASTER_ADDR=" + d.masterAddr() + " MASTER_PORT=" + d.masterPort() + " (from " + d.source() + ")";
    }

    static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    static byte[] readBytes(DataInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 0 || len > (1 << 20)) {
            throw new IOException("a rendezvous message announced " + len + " bytes; not a ds4j peer?");
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return b;
    }

    static void checkHello(DataInputStream in) throws IOException {
        if (in.readInt() != MAGIC || in.readInt() != VERSION) {
            throw new IOException("a connection to MASTER_PORT did not speak ds4j's rendezvous (version " + VERSION
                    + "); is another service using that port?");
        }
    }

    private static void sleep(int ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RendezvousException("interrupted while connecting to the rendezvous master", e);
        }
    }

    static ServerSocket listen(Distributed d) {
        try {
            ServerSocket ss = new ServerSocket();
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(d.masterPort()), d.worldSize());
            return ss;
        } catch (IOException e) {
            throw new RendezvousException("rank 0 cannot listen on MASTER_PORT=" + d.masterPort() + " (from "
                    + d.source() + "): " + e.getMessage() + "; choose a free port", e);
        }
    }
}
