package io.ds4j.zero.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.ds4j.zero.kernels.ChunkCodec;
import io.ds4j.zero.kernels.FusedAdam;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.kernels.VectorStorage;
import io.ds4j.zero.ledger.MemoryLedger;

/**
 * Read-ahead and write-behind really overlap the kernel. Sub-groups of 16 elements are one kernel tile each, so the
 * gradient codec's k-th decode is the kernel of sub-group k. Read-ahead: while the kernel of sub-group 0 runs it waits
 * for the read of sub-group 1 to finish, which only happens when that read was issued before the kernel. Write-behind:
 * the write of sub-group 0 waits for the kernel of sub-group 1 to start, which only happens when the step does not
 * wait for the write. Without the flag the wait times out (200 ms) and the overlap is reported absent; either way the
 * step's result is the same.
 */
class NvmePipelineTest {
    private static KernelPool pool;

    @TempDir
    Path nvme;

    @BeforeAll
    static void startPool() {
        pool = new KernelPool(1);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    /** Decodes value = bits / 256 and lets the test act at the start of each sub-group's kernel. */
    private static final class KernelSpy implements ChunkCodec {
        final AtomicInteger calls = new AtomicInteger();
        final CountDownLatch kernel1Started = new CountDownLatch(1);
        final CountDownLatch read1Done = new CountDownLatch(1);
        final AtomicBoolean readAheadSeen = new AtomicBoolean();
        final long wait;

        KernelSpy(long waitMillis) {
            wait = waitMillis;
        }

        @Override
        public String name() {
            return "spy";
        }

        @Override
        public void decode(short[] src, int so, float[] dst, int doff, int len, float scale) {
            int k = calls.getAndIncrement();
            if (k == 0) {
                readAheadSeen.set(await(read1Done, wait));
            } else if (k == 1) {
                kernel1Started.countDown();
            }
            for (int i = 0; i < len; i++) {
                dst[doff + i] = src[so + i] / 256f * scale;
            }
        }

        @Override
        public void encode(float[] src, int so, short[] dst, int doff, int len) {
            throw new UnsupportedOperationException();
        }
    }

    private static boolean await(CountDownLatch l, long millis) {
        try {
            return l.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @ParameterizedTest(name = "pipeline_read={0}, pipeline_write={1}")
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void theFlagsOverlapIoWithTheKernel(boolean read, boolean write) {
        long wait = 10_000;
        long refuse = 200;
        KernelSpy spy = new KernelSpy(read ? wait : refuse);
        AtomicBoolean writeBehindSeen = new AtomicBoolean();
        short[] bits = new short[64];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = (short) (i - 20);
        }
        float[] master = new float[64];
        try (NvmeStore store = NvmeStore.open(new StoreRequest(0, 64, 2, 16, new MemoryLedger(0)),
                new NvmeSettings(nvme.toString(), 9, read, write, FreeSpaceProbe.fileStore()))) {
            store.initialize(VectorStorage.of(new float[64]));
            store.observe(new NvmeStore.IoObserver() {
                @Override
                public void before(boolean isWrite, int group) {
                    if (isWrite && group == 0) {
                        writeBehindSeen.set(await(spy.kernel1Started, write ? wait : refuse));
                    }
                }

                @Override
                public void after(boolean isWrite, int group) {
                    if (!isWrite && group == 1) {
                        spy.read1Done.countDown();
                    }
                }
            });
            store.step(FusedAdam.deepSpeedDefaults(), new StepInput(VectorStorage.of(bits, 0, 64, spy),
                    new StepArgs(1, 0.01f, 1f), null), pool);
            store.readMaster(master, 0);
        }
        assertEquals(read, spy.readAheadSeen.get(), "sub-group 1 read during sub-group 0's kernel");
        assertEquals(write, writeBehindSeen.get(), "sub-group 0 written during sub-group 1's kernel");
        assertEquals(4, spy.calls.get(), "one kernel tile per sub-group");
        // Adam's first step moves every element by about lr against the sign of its gradient (0 where g = 0)
        float[] expected = new float[64];
        for (int i = 0; i < 64; i++) {
            expected[i] = i == 20 ? 0f : -0.01f * Math.signum(i - 20);
        }
        assertArrayEquals(expected, master, 1e-6f);
    }
}
