package io.ds4j.zero.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

import org.junit.jupiter.api.Test;

/** The rendezvous between ranks run as threads here (the protocol is plain TCP on 127.0.0.1, as between processes). */
class RendezvousTest {
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Distributed rank(int r, int n, int port) {
        return new Distributed(r, n, r, n, "127.0.0.1", port, "test", Duration.ofSeconds(20));
    }

    /** Runs every rank's exchange on its own thread; each result is the address list or the exception. */
    private static List<Object> run(int n, IntFunction<Distributed> who, IntFunction<String> fingerprint) {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<List<byte[]>>> fs = new ArrayList<>();
            for (int r = n - 1; r >= 0; r--) { // the others start before the master: they must retry
                int rr = r;
                fs.add(0, pool.submit(() -> Rendezvous.exchange(who.apply(rr), fingerprint.apply(rr),
                        ("addr" + rr).getBytes(StandardCharsets.UTF_8))));
            }
            List<Object> out = new ArrayList<>();
            for (Future<List<byte[]>> f : fs) {
                try {
                    out.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    out.add(e.getCause());
                }
            }
            return out;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void threeRanksGetEveryAddressInRankOrder() throws IOException {
        int port = freePort();
        List<Object> out = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run(3, r -> rank(r, 3, port),
                r -> "same job"));
        for (Object o : out) {
            @SuppressWarnings("unchecked")
            List<byte[]> all = (List<byte[]>) o;
            for (int q = 0; q < 3; q++) {
                assertArrayEquals(("addr" + q).getBytes(StandardCharsets.UTF_8), all.get(q));
            }
        }
    }

    @Test
    void aDifferentWorldSizeIsNamedOnEveryRankThatJoined() throws IOException {
        int port = freePort();
        List<Object> out = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run(2,
                r -> r == 0 ? rank(0, 2, port) : rank(1, 3, port), r -> "same job"));
        for (Object o : out) {
            Rendezvous.RendezvousException e = (Rendezvous.RendezvousException) o;
            assertTrue(e.getMessage().contains("rank 1 has world size 3 but rank 0 has 2"), e.getMessage());
        }
    }

    @Test
    void aDifferentConfigIsNamedWithBothFingerprints() throws IOException {
        int port = freePort();
        List<Object> out = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run(3, r -> rank(r, 3, port),
                r -> r == 2 ? "config b" : "config a"));
        Rendezvous.RendezvousException e = (Rendezvous.RendezvousException) out.get(2);
        assertTrue(e.getMessage().contains("rank 2's job differs from rank 0's (rank 2: config b; rank 0: config a)"),
                e.getMessage());
        assertTrue(out.get(0) instanceof Rendezvous.RendezvousException, String.valueOf(out.get(0)));
    }

    @Test
    void anUnreachableMasterIsNamedWithTheVariables() throws IOException {
        int port = freePort(); // nobody listens there
        Distributed d = new Distributed(1, 2, 1, 2, "127.0.0.1", port, "torchrun (RANK, WORLD_SIZE)",
                Duration.ofSeconds(1));
        Rendezvous.RendezvousException e = assertThrows(Rendezvous.RendezvousException.class,
                () -> Rendezvous.exchange(d, "job", new byte[] {1}));
        assertEquals("rank 1: cannot reach the master at MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port
                + " (from torchrun (RANK, WORLD_SIZE)) within 1 s (Connection refused); check that rank 0 runs on"
                + " that host and that MASTER_ADDR and MASTER_PORT name it", e.getMessage());
        Distributed unknown = new Distributed(1, 2, 1, 2, "no-such-host.invalid", port, "test", Duration.ofSeconds(1));
        e = assertThrows(Rendezvous.RendezvousException.class, () -> Rendezvous.exchange(unknown, "job",
                new byte[] {1}));
        assertTrue(e.getMessage().contains("MASTER_ADDR=no-such-host.invalid"), e.getMessage());
    }

    @Test
    void aMissingRankIsNamedByTheMaster() throws IOException {
        Distributed d = new Distributed(0, 3, 0, 3, "127.0.0.1", freePort(), "test", Duration.ofSeconds(1));
        Rendezvous.RendezvousException e = assertThrows(Rendezvous.RendezvousException.class,
                () -> Rendezvous.exchange(d, "job", new byte[] {1}));
        assertTrue(e.getMessage().contains("rank(s) [1, 2] did not join the rendezvous"), e.getMessage());
    }
}
