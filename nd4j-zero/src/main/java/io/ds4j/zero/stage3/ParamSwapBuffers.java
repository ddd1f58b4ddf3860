package io.ds4j.zero.stage3;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.ledger.MemoryTier;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The host buffers through which one rank's nvme parameter shards ({@link FileShardStore}) are read and written:
 * at most {@code offload_param.buffer_count} direct byte buffers of at most {@code offload_param.buffer_size}
 * elements (4 bytes each, DeepSpeed's meaning of both keys). A buffer is never larger than the largest shard
 * registered so far ({@link #register}), so a small model does not pay for DeepSpeed's default of 1e8 elements; a
 * shard larger than one buffer is read and written in tiles of one buffer. Buffers are created on first use, kept for
 * reuse, and each is entered in the ledger ({@code OFFLOAD_BUFFERS}, host) with its own capacity while it exists.
 *
 * <p>The buffers are direct, so {@code FileChannel} reads and writes them without the JDK's hidden temporary direct
 * copy of a heap buffer. The I/O is synchronous on the rank's thread, so one buffer is in use at a time and
 * {@link #residentBytes()} stays at one buffer; {@code buffer_count} bounds the pool. Confined to the rank's thread.
 */
public final class ParamSwapBuffers implements AutoCloseable {
    /** The key of the buffer count. */
    public static final String COUNT_KEY = "zero_optimization.offload_param.buffer_count";
    /** The key of the buffer size. */
    public static final String SIZE_KEY = "zero_optimization.offload_param.buffer_size";

    /**
     * The most elements one buffer holds whatever {@code buffer_size} says: a direct buffer is indexed by int, so its
     * bytes ({@code 4 * elements}) must stay below 2^31; a larger shard is tiled like any shard above the buffer size.
     */
    public static final int MAX_TILE_ELEMENTS = (Integer.MAX_VALUE - 8) / Float.BYTES;

    private final int count;
    private final long sizeElements;
    private final MemoryLedger ledger;
    private final ArrayDeque<ByteBuffer> idle = new ArrayDeque<>();
    private final Map<ByteBuffer, MemoryLedger.Allocation> held = new IdentityHashMap<>();
    private int elements;
    private boolean closed;

    /**
     * @param bufferCount {@code offload_param.buffer_count}, at least 1
     * @param bufferSize  {@code offload_param.buffer_size} in elements, at least 1
     * @param ledger      the rank's ledger
     * @throws IllegalArgumentException naming the key when a value cannot work
     */
    public ParamSwapBuffers(int bufferCount, long bufferSize, MemoryLedger ledger) {
        check(bufferCount, bufferSize);
        this.count = bufferCount;
        this.sizeElements = bufferSize;
        this.ledger = ledger;
    }

    /**
     * Checks the two keys.
     *
     * @throws IllegalArgumentException naming the key, the value and the fix
     */
    public static void check(int bufferCount, long bufferSize) {
        if (bufferCount < 1) {
            throw new IllegalArgumentException(COUNT_KEY + ": " + bufferCount + " leaves no buffer to stream the "
                    + "parameter shards through with offload_param.device nvme; set it to 1 or more (DeepSpeed's "
                    + "default is 5)");
        }
        if (bufferSize < 1) {
            throw new IllegalArgumentException(SIZE_KEY + ": " + bufferSize + " elements cannot hold any part of a "
                    + "parameter shard with offload_param.device nvme; set it to 1 or more (DeepSpeed's default is "
                    + "1e8)");
        }
    }

    /** Announces a shard of {@code length} elements: buffers grow to hold it whole, up to {@code buffer_size}. */
    public void register(int length) {
        int want = (int) Math.min(Math.min(sizeElements, MAX_TILE_ELEMENTS), Math.max(1, length));
        if (want > elements) {
            elements = want;
            while (!idle.isEmpty()) {
                held.remove(idle.poll()).close(); // too small now; dropped (the next acquire makes a larger one)
            }
        }
    }

    /** Elements one buffer holds (a tile of a larger shard). */
    public int tileElements() {
        return Math.max(1, elements);
    }

    /** A buffer of {@link #tileElements()} floats, cleared, in native order; give it back with {@link #release}. */
    ByteBuffer acquire() {
        if (closed) {
            throw new IllegalStateException("the nvme parameter buffers are closed; the trainer was closed");
        }
        ByteBuffer b = idle.poll();
        if (b != null && b.capacity() == Float.BYTES * tileElements()) {
            return b.clear();
        }
        if (b != null) {
            held.remove(b).close();
        }
        if (held.size() - idle.size() >= count) {
            throw new IllegalStateException("all " + count + " buffers of " + COUNT_KEY + " are in use");
        }
        ByteBuffer fresh = ByteBuffer.allocateDirect(Float.BYTES * tileElements()).order(ByteOrder.nativeOrder());
        held.put(fresh, ledger.allocate(MemoryCategory.OFFLOAD_BUFFERS, MemoryTier.HOST, fresh.capacity(),
                "stage3 nvme parameter swap buffer"));
        return fresh;
    }

    /** Gives back a buffer from {@link #acquire()}. */
    void release(ByteBuffer b) {
        if (!held.containsKey(b)) {
            throw new IllegalArgumentException("a buffer that this pool did not hand out");
        }
        idle.push(b);
    }

    /** Bytes of the buffers that exist now: the sum of their capacities. */
    public long residentBytes() {
        long sum = 0;
        for (ByteBuffer b : held.keySet()) {
            sum += b.capacity();
        }
        return sum;
    }

    /** Buffers that exist now. */
    public int buffers() {
        return held.size();
    }

    /** DeepSpeed's bound on the pool: {@code buffer_count x buffer_size x 4} bytes. */
    public long budgetBytes() {
        return count * sizeElements * Float.BYTES;
    }

    /** Drops every buffer and its ledger entry. */
    @Override
    public void close() {
        closed = true;
        held.values().forEach(MemoryLedger.Allocation::close);
        held.clear();
        idle.clear();
    }
}
