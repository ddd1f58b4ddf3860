package io.ds4j.zero.comm.ucx;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Builds UCX groups whose ranks are threads of this JVM (each with its own context and worker). */
final class UcxGroups {
    private UcxGroups() {
    }

    /** Closes the ranks of a group concurrently, as separate processes would (each says goodbye to the others). */
    static void close(List<UcxCollectives> group) {
        List<Thread> threads = new ArrayList<>();
        for (UcxCollectives c : group) {
            Thread t = new Thread(c::close, "ucx-close-" + c.rank());
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static List<UcxCollectives> inThisJvm(int worldSize, Duration timeout) {
        List<UcxNode> nodes = new ArrayList<>();
        List<byte[]> addresses = new ArrayList<>();
        for (int r = 0; r < worldSize; r++) {
            UcxNode node = UcxNode.open();
            nodes.add(node);
            addresses.add(node.address());
        }
        ExecutorService pool = Executors.newFixedThreadPool(worldSize); // connect() exchanges with every peer
        try {
            List<Future<UcxCollectives>> connecting = new ArrayList<>();
            for (int r = 0; r < worldSize; r++) {
                int rank = r;
                connecting.add(pool.submit(() -> UcxCollectives.connect(nodes.get(rank), rank, addresses, timeout)));
            }
            List<UcxCollectives> group = new ArrayList<>();
            for (Future<UcxCollectives> f : connecting) {
                group.add(f.get());
            }
            return group;
        } catch (Exception e) {
            throw new IllegalStateException("could not connect a UCX group of " + worldSize + " in this JVM", e);
        } finally {
            pool.shutdown();
        }
    }
}
