package io.ds4j.zero.offload;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

import io.ds4j.zero.kernels.BufferFp32;

/**
 * Host buffers for one sub-group in flight: its master and state vectors back to back (as in its file), a header
 * buffer, and the chain of I/O issued on it (each read or write starts when the previous one on the slot ended).
 */
final class SwapSlot {
    final ByteBuffer data;
    final ByteBuffer header = ByteBuffer.allocate(SwapFile.HEADER_BYTES);
    private CompletableFuture<Void> pending = CompletableFuture.completedFuture(null);

    SwapSlot(int vectors, int largest) {
        data = ByteBuffer.allocateDirect(Math.max(1, Math.toIntExact((long) vectors * largest * Float.BYTES)))
                .order(ByteOrder.nativeOrder());
    }

    /** Bytes held by this slot. */
    long bytes() {
        return data.capacity() + (long) header.capacity();
    }

    /** Sizes the buffer for a sub-group of {@code elements} and returns its vectors as fp32 storages. */
    List<BufferFp32> vectors(int vectors, int elements) {
        data.clear().limit(Math.toIntExact((long) vectors * elements * Float.BYTES));
        FloatBuffer all = data.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
        List<BufferFp32> out = new ArrayList<>(vectors);
        for (int k = 0; k < vectors; k++) {
            out.add(new BufferFp32(all.slice(k * elements, elements)));
        }
        return out;
    }

    /** Chains {@code io} after the slot's previous I/O. */
    void then(Runnable io, Executor executor) {
        pending = pending.thenRunAsync(io, executor);
    }

    /** Waits for the slot's I/O; rethrows its failure. */
    void await() {
        try {
            pending.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Waits for the slot's I/O and forgets any failure (cleanup after an error). */
    void drainQuietly() {
        try {
            pending.join();
        } catch (RuntimeException e) {
            // the step already fails with the first error
        }
        pending = CompletableFuture.completedFuture(null);
    }
}
