package io.ds4j.zero.offload;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.ds4j.zero.kernels.BufferFp32;

/**
 * The {@code "nvme"} store's swap traffic (part of {@link NvmeStore}): the rank's directory with one
 * {@link SwapFile} per swap unit, the host swap slots, the two daemon I/O threads, and the order in which a step's
 * reads and writes go through the slots (unit {@code i} in slot {@code i % slots}, read ahead with
 * {@code pipeline_read}, written behind with {@code pipeline_write}). I/O runs on two daemon threads; reads and writes
 * on one slot are ordered, different slots overlap.
 */
final class SwapPipeline {
    private final Path directory;
    private final SubGroups groups;  // the swap units
    private final int vectors;       // fp32 vectors per unit in its file and slot
    private final SwapSlot[] slots;
    private final boolean readAhead;
    private final boolean writeBehind;
    private final ExecutorService io;
    private NvmeStore.IoObserver observer = NvmeStore.IoObserver.NONE;

    /** The step's work on one unit while it sits in its slot: its vectors, master (if any) first. */
    interface UnitStep {
        void run(int group, List<BufferFp32> unitVectors);
    }

    /**
     * @param rank        the rank (names the I/O threads)
     * @param directory   the rank's directory, made by {@link NvmePath#createRankDirectory}
     * @param groups      the swap units
     * @param vectors     fp32 vectors per unit
     * @param slotCount   swap slots, 1 to 3
     * @param readAhead   read the next unit during a unit's kernel ({@code pipeline_read}, with a second slot)
     * @param writeBehind write a unit during the next unit's kernel ({@code pipeline_write}, with a second slot)
     */
    SwapPipeline(int rank, Path directory, SubGroups groups, int vectors, int slotCount, boolean readAhead,
                 boolean writeBehind) {
        this.directory = directory;
        this.groups = groups;
        this.vectors = vectors;
        this.slots = new SwapSlot[slotCount];
        this.readAhead = readAhead;
        this.writeBehind = writeBehind;
        this.io = Executors.newFixedThreadPool(2, task -> {
            Thread t = new Thread(task, "ds4j-nvme-io-rank" + rank);
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < slotCount; i++) {
            slots[i] = new SwapSlot(vectors, groups.largest());
        }
    }

    void observe(NvmeStore.IoObserver o) {
        observer = o;
    }

    Path directory() {
        return directory;
    }

    int slotCount() {
        return slots.length;
    }

    /** Host bytes of the swap slots with their headers. */
    long residentBytes() {
        long b = 0;
        for (SwapSlot s : slots) {
            b += s.bytes();
        }
        return b;
    }

    /** Writes every unit's file at step 0, after {@code fill} has put the unit's values into the first slot. */
    void writeAll(UnitStep fill) {
        SwapSlot slot = slots[0];
        for (int i = 0; i < groups.count(); i++) {
            int n = groups.length(i);
            fill.run(i, slot.vectors(vectors, n));
            SwapFile.write(directory, i, vectors, n, 0, slot.data, slot.header);
        }
    }

    /**
     * One step over every unit: each is read (written at step {@code expected}), given to {@code compute} in its slot
     * and written back as step {@code step}; returns once every write has ended. On a failure the slots' I/O is not
     * waited for; {@link #drainQuietly} does that.
     */
    void stream(long expected, long step, UnitStep compute) {
        int count = groups.count();
        for (int i = 0; i < count; i++) {
            if (i == 0 || !readAhead) {
                issueRead(i, expected);
            }
            if (readAhead && i + 1 < count) {
                issueRead(i + 1, expected);
            }
            SwapSlot slot = slotOf(i);
            slot.await();
            compute.run(i, slot.vectors(vectors, groups.length(i)));
            issueWrite(i, step);
            if (!writeBehind) {
                slot.await();
            }
        }
        for (SwapSlot s : slots) {
            s.await();
        }
    }

    /** After a failed step: waits for every slot's I/O and forgets its failures. */
    void drainQuietly() {
        for (SwapSlot s : slots) {
            s.drainQuietly();
        }
    }

    private SwapSlot slotOf(int group) {
        return slots[group % slots.length];
    }

    private void issueRead(int group, long expected) {
        SwapSlot slot = slotOf(group);
        int n = groups.length(group);
        NvmeStore.IoObserver o = observer;
        slot.then(() -> {
            o.before(false, group);
            slot.data.clear().limit(vectors * n * Float.BYTES);
            SwapFile.read(directory, group, vectors, n, expected, slot.data, slot.header);
            o.after(false, group);
        }, io);
    }

    private void issueWrite(int group, long step) {
        SwapSlot slot = slotOf(group);
        int n = groups.length(group);
        NvmeStore.IoObserver o = observer;
        slot.then(() -> {
            o.before(true, group);
            slot.data.clear().limit(vectors * n * Float.BYTES);
            SwapFile.write(directory, group, vectors, n, step, slot.data, slot.header);
            o.after(true, group);
        }, io);
    }

    /**
     * Reads vector {@code vector} of every unit (its file written at step {@code expected}) into {@code dst}, from
     * {@code offset} on.
     */
    void read(int vector, long expected, float[] dst, int offset) {
        SwapSlot slot = slots[0];
        for (int i = 0; i < groups.count(); i++) {
            int n = groups.length(i);
            slot.data.clear().limit(vectors * n * Float.BYTES);
            SwapFile.read(directory, i, vectors, n, expected, slot.data, slot.header);
            slot.vectors(vectors, n).get(vector).read(0, dst, offset + (int) groups.start(i), n, 1f);
        }
    }

    /** Stops the I/O threads: waits up to 60 s for the I/O in flight, then interrupts it. */
    void stopThreads() {
        io.shutdown();
        try {
            if (!io.awaitTermination(60, TimeUnit.SECONDS)) {
                io.shutdownNow();
            }
        } catch (InterruptedException e) {
            io.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Deletes every file and the directory. */
    void deleteDirectory() {
        try (Stream<Path> files = Files.list(directory)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the optimizer swap directory " + directory
                    + "; delete it by hand", e);
        }
    }
}
