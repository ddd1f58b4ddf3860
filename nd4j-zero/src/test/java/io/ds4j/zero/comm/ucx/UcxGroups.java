package io.ds4j.zero.comm.ucx;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiConsumer;

import io.ds4j.zero.comm.Collectives;

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

    /** Runs {@code op} on every rank of {@code group}, each in its own thread, and waits for all of them. */
    static void onEveryRank(List<? extends Collectives> group, BiConsumer<Collectives, Integer> op)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(group.size());
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int r = 0; r < group.size(); r++) {
                int rank = r;
                fs.add(pool.submit(() -> op.accept(group.get(rank), rank)));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    static List<UcxCollectives> inThisJvm(int worldSize, Duration timeout) {
        return inThisJvm(worldSize, timeout, Staging.slotsFor(null), OwnerReduce.CHUNK);
    }

    /** A group whose ranks have {@code slots} staging slots of {@code slotFloats} floats each. */
    static List<UcxCollectives> inThisJvm(int worldSize, Duration timeout, int slots, int slotFloats) {
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
                connecting.add(pool.submit(() -> UcxCollectives.connect(nodes.get(rank), rank, addresses, timeout,
                        slots, slotFloats)));
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
