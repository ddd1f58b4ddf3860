package io.ds4j.zero.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The checks every kernel gets: against its double reference on heap arrays (3 threads), bit-identical results for
 * every other layout and for one thread (element-wise kernels do the same fp32 operations whatever the storage), and
 * the compute copy equal to the master in its storage type.
 */
final class KernelChecks {
    private KernelChecks() {
    }

    static void verify(FusedOptimizer opt, KernelFixture.Reference ref, float lr, float multiplier, double tol,
            boolean elementWise) {
        double[][] want = KernelFixture.reference(ref, opt.stateWords(), lr, multiplier);
        KernelFixture.Result heap = KernelFixture.run(opt, KernelFixture.Layout.HEAP, lr, multiplier, 3);
        KernelFixture.assertClose(heap, want, tol);
        assertArrayEquals(heap.master(), heap.computeCopy(), "fp32 compute copy equals the master");
        for (KernelFixture.Layout l : KernelFixture.Layout.values()) {
            KernelFixture.Result r = KernelFixture.run(opt, l, lr, multiplier, l == KernelFixture.Layout.ND4J ? 1 : 2);
            if (elementWise) {
                KernelFixture.assertIdentical(heap, r);
            } else {
                KernelFixture.assertClose(r, want, tol);
            }
            if (l == KernelFixture.Layout.ND4J) {
                assertArrayEquals(r.master(), r.computeCopy(), "ND4J compute copy equals the master");
            }
            if (l == KernelFixture.Layout.CODEC16) {
                for (int i = 0; i < KernelFixture.N; i++) {
                    float expect = Math.round(r.master()[i] * 1024.0) / 1024f;
                    assertEquals(expect, r.computeCopy()[i], 0f, "16-bit compute copy at " + i);
                }
            }
        }
    }
}
