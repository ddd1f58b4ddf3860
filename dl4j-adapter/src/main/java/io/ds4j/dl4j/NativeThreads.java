package io.ds4j.dl4j;

import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * How many native threads each ND4J op may use, for a scope such as one {@code fit}: ND4J's op threads
 * ({@code Environment.setMaxMasterThreads}), the BLAS library's threads (matrix products) and the calling thread's
 * OpenMP team size. {@code Nd4j.getEnvironment().setMaxThreads(n)} alone does nothing in ND4J 1.0.0-M2.1 (its native
 * side is commented out), and BLAS keeps all cores: with N rank threads each matrix product of each rank then ran
 * on every core at once. Measured (2 cores, ZeRO-2 on 2 ranks, {@code ds4j train --steps 600}): 4,300-5,900
 * samples/s with only {@code setMaxThreads}, 13,300-17,900 with this scope.
 *
 * <p>The op and BLAS settings are process-wide, so a scope sets them for every thread and {@link #close()} puts the
 * previous values back; the OpenMP team size belongs to each thread, so each rank thread also calls
 * {@link #limitCurrentThread(int)}. Call order: {@code open}, the work, {@code close} (try-with-resources).
 *
 * <p><b>At JavaCPP's memory limit</b> ({@code org.bytedeco.javacpp.maxbytes} / {@code maxphysicalbytes}) the BLAS
 * setting must not reach OpenBLAS's {@code blas_set_num_threads}: it allocates a JavaCPP function pointer on every
 * call, and JavaCPP 1.5.7 frees a function pointer whose allocation it refuses and then still writes into it, which
 * corrupts the native heap (the process later aborts in malloc, exit 134). So the BLAS threads are set only when they
 * change, and only after a one-byte JavaCPP allocation, which goes through the same limit check and is refused
 * cleanly, shows that the function pointer would not be refused: at the limit {@code open} and {@code close} throw
 * that {@link OutOfMemoryError} instead, as any other ND4J allocation there does.
 */
public final class NativeThreads implements AutoCloseable {
    private final int masterBefore;
    private final int blasBefore;
    private final int teamBefore; // the opening thread's OpenMP team size

    private NativeThreads(int n) {
        this.masterBefore = Nd4j.getEnvironment().maxMasterThreads();
        this.blasBefore = Nd4j.factory().blas().getMaxThreads();
        this.teamBefore = NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
        setBlasThreads(n); // first: when it is refused at the memory limit, nothing has changed yet
        Nd4j.getEnvironment().setMaxMasterThreads(n);
        limitCurrentThread(n);
    }

    /**
     * Limits every ND4J op to {@code n} native threads until {@link #close()}.
     *
     * @param n threads, at least 1
     * @return the scope
     */
    public static NativeThreads open(int n) {
        check(n);
        return new NativeThreads(n);
    }

    /**
     * Limits the OpenMP team of ops the calling thread runs (a rank thread, which starts with OpenMP's default).
     *
     * @param n threads, at least 1
     */
    public static void limitCurrentThread(int n) {
        check(n);
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(n);
    }

    /**
     * Puts ND4J's op threads, the BLAS threads and the OpenMP team of the thread that opened the scope back as they
     * were (call it on that thread, as try-with-resources does).
     */
    @Override
    public void close() {
        Nd4j.getEnvironment().setMaxMasterThreads(masterBefore);
        if (teamBefore > 0) {
            NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(teamBefore);
        }
        setBlasThreads(blasBefore); // last: it alone may be refused at the memory limit
    }

    /**
     * Sets the BLAS threads when they change, and only where JavaCPP would not refuse the function pointer that
     * OpenBLAS's setter allocates (see the class comment).
     *
     * @throws OutOfMemoryError when JavaCPP refuses allocations (its memory limit is reached)
     */
    private static void setBlasThreads(int blas) {
        if (blas <= 0 || Nd4j.factory().blas().getMaxThreads() == blas) {
            return;
        }
        new BytePointer(1).close(); // JavaCPP's limit check; refused, it frees cleanly and throws
        Nd4j.factory().blas().setMaxThreads(blas);
    }

    private static void check(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("native threads: " + n + " is not allowed; use at least 1");
        }
    }
}
