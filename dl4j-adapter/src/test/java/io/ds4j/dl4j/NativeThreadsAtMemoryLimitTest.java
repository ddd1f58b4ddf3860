package io.ds4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.cli.bench.ChildJvm;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A {@link NativeThreads} scope opened or closed while JavaCPP refuses allocations (its {@code maxbytes} or
 * {@code maxphysicalbytes} limit reached) fails with a plain {@link OutOfMemoryError} and leaves the native heap
 * whole. Before, it called OpenBLAS's {@code blas_set_num_threads}, which allocates a JavaCPP function pointer on
 * every call; JavaCPP 1.5.7 frees a refused function pointer and then still writes into it, so the process later
 * aborted in malloc ({@code malloc(): unaligned tcache chunk detected}, exit 134): {@code bench capacity}'s ZeRO-3
 * nvme child at Ψ 64M under a 1 GiB limit. A child JVM, because the limit is read once per process.
 */
class NativeThreadsAtMemoryLimitTest {

    @Test
    void scopesRefusedAtTheLimitFailCleanlyAndTheHeapStaysWhole() throws Exception {
        ChildJvm jvm = new ChildJvm(List.of("-Xmx256m", "-Dorg.bytedeco.javacpp.maxbytes=64m",
                "-Dorg.bytedeco.javacpp.maxretries=0"), 300);
        ChildJvm.Result r = jvm.run(AtLimit.class, List.of());
        String all = String.join("\n", r.stdout()) + "\n" + String.join("\n", r.stderr());
        assertEquals(0, r.exitCode(), "the child ends normally, not by a malloc abort (134):\n" + all);
        assertTrue(r.stdout().contains("refused=4"), "every open and the close at the limit throw:\n" + all);
        assertTrue(r.stdout().contains("sum=6.0"), "ND4J works again once the limit is left:\n" + all);
    }

    /** The child: reaches JavaCPP's byte limit, opens and closes scopes there, then leaves it and computes. */
    public static final class AtLimit {
        private AtLimit() {
        }

        /** @param args none */
        public static void main(String[] args) {
            Nd4j.create(1); // loads the backend while there is room
            int n = Nd4j.factory().blas().getMaxThreads() == 1 ? 2 : 1; // a change, so BLAS is really set
            NativeThreads openedBefore = NativeThreads.open(n);
            // JavaCPP counts what it allocated; this takes the rest, so that it refuses whatever comes next
            BytePointer ballast = new BytePointer(Math.max(1, Pointer.maxBytes() - Pointer.totalBytes()));
            int refused = 0;
            for (int i = 0; i < 3; i++) {
                int m = i % 2 == 0 ? n + 1 : n + 2;
                try (NativeThreads ignored = NativeThreads.open(m)) {
                    System.out.println("opened " + m + " at the limit");
                } catch (OutOfMemoryError e) {
                    refused++;
                }
            }
            try {
                openedBefore.close();
            } catch (OutOfMemoryError e) {
                refused++;
            }
            ballast.close();
            double sum = 0;
            for (int i = 0; i < 200; i++) { // many small mallocs: a corrupted heap aborts here
                try (INDArray a = Nd4j.ones(3).addi(1)) {
                    sum = a.sumNumber().doubleValue();
                }
                new java.util.zip.Deflater().end();
            }
            System.out.println("refused=" + refused);
            System.out.println("sum=" + (Math.round(sum * 10) / 10.0));
            System.exit(0);
        }
    }
}
