package io.ds4j.zero.dist;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/** Rank 0's side of the {@link Rendezvous}: accepts every other rank, checks that they agree, replies. */
final class RendezvousMaster {
    private final Distributed d;
    private final String fingerprint;
    private final byte[][] addresses;
    private final Socket[] peers;

    RendezvousMaster(Distributed d, String fingerprint, byte[] address) {
        this.d = d;
        this.fingerprint = fingerprint;
        this.addresses = new byte[d.worldSize()][];
        this.peers = new Socket[d.worldSize()];
        addresses[0] = address.clone();
    }

    List<byte[]> run() {
        long deadline = System.nanoTime() + d.timeout().toNanos();
        try (ServerSocket ss = Rendezvous.listen(d)) {
            for (int joined = 1; joined < d.worldSize(); joined++) {
                accept(ss, deadline);
            }
            for (int q = 1; q < d.worldSize(); q++) {
                DataOutputStream out = new DataOutputStream(peers[q].getOutputStream());
                out.writeBoolean(true);
                out.writeInt(d.worldSize());
                for (byte[] a : addresses) {
                    Rendezvous.writeBytes(out, a);
                }
                out.flush();
            }
            return List.of(addresses);
        } catch (IOException e) {
            throw refuse("the rendezvous at " + Rendezvous.where(d) + " failed on rank 0: " + e, null);
        } finally {
            for (Socket s : peers) {
                close(s);
            }
        }
    }

    private void accept(ServerSocket ss, long deadline) throws IOException {
        Socket s;
        try {
            ss.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            s = ss.accept();
        } catch (SocketTimeoutException e) {
            throw refuse("rank(s) " + missing() + " did not join the rendezvous at " + Rendezvous.where(d)
                    + " within " + d.timeout().toSeconds() + " s; did every rank start, with WORLD_SIZE="
                    + d.worldSize() + "?", null);
        }
        s.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        DataInputStream in = new DataInputStream(s.getInputStream());
        int rank;
        int size;
        String theirs;
        byte[] address;
        try {
            Rendezvous.checkHello(in);
            rank = in.readInt();
            size = in.readInt();
            theirs = in.readUTF();
            address = Rendezvous.readBytes(in);
        } catch (IOException e) {
            close(s);
            throw refuse("a peer's rendezvous message could not be read: " + e, null);
        }
        String problem = check(rank, size, theirs);
        if (problem != null) {
            throw refuse(problem, s);
        }
        peers[rank] = s;
        addresses[rank] = address;
    }

    private String check(int rank, int size, String theirs) {
        if (size != d.worldSize()) {
            return "rank " + rank + " has world size " + size + " but rank 0 has " + d.worldSize() + " (from "
                    + d.source() + "); start every rank with the same WORLD_SIZE";
        }
        if (rank <= 0 || rank >= d.worldSize()) {
            return "a peer says it is rank " + rank + ", outside 1.." + (d.worldSize() - 1) + "; ranks must differ";
        }
        if (peers[rank] != null) {
            return "rank " + rank + " joined twice; every process needs its own RANK";
        }
        if (!theirs.equals(fingerprint)) {
            return "rank " + rank + "'s job differs from rank 0's (rank " + rank + ": " + theirs + "; rank 0: "
                    + fingerprint + "); every rank must use the same config and model";
        }
        return null;
    }

    private List<Integer> missing() {
        List<Integer> m = new ArrayList<>();
        for (int q = 1; q < peers.length; q++) {
            if (peers[q] == null) {
                m.add(q);
            }
        }
        return m;
    }

    /** Tells every rank that joined (and {@code offender}) why the rendezvous failed; the exception for rank 0. */
    private Rendezvous.RendezvousException refuse(String why, Socket offender) {
        List<Socket> all = new ArrayList<>();
        for (Socket s : peers) {
            if (s != null) {
                all.add(s);
            }
        }
        if (offender != null) {
            all.add(offender);
        }
        for (Socket s : all) {
            try {
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                out.writeBoolean(false);
                out.writeUTF(why);
                out.flush();
            } catch (IOException ignored) {
                // that rank is gone; it fails on its own
            }
            close(s);
        }
        return new Rendezvous.RendezvousException("rank 0: " + why, null);
    }

    private static void close(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing after the exchange; nothing left to do
            }
        }
    }
}
