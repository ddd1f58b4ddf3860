package io.ds4j.cli.bench;

import org.bytedeco.javacpp.Pointer;

/**
 * A daemon thread that samples, every {@value #PERIOD_MS} ms until closed, the peaks of JavaCPP's
 * {@link Pointer#physicalBytes()} (the process's resident set as the OS reports it), {@link Pointer#totalBytes()}
 * (the native bytes ND4J allocated through JavaCPP and has not freed) and the Java heap in use. A sample can miss a
 * peak shorter than the period; {@link ProcStatus#peakRssBytes()} cannot, and is the bench's real peak.
 */
public final class PeakSampler implements AutoCloseable {
    /** Sampling period. */
    static final long PERIOD_MS = 2;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long physicalPeak;
    private volatile long totalPeak;
    private volatile long heapPeak;

    private PeakSampler() {
        sample();
        thread = new Thread(this::loop, "ds4j-peak-sampler");
        thread.setDaemon(true);
    }

    /** @return a started sampler */
    public static PeakSampler start() {
        PeakSampler s = new PeakSampler();
        s.thread.start();
        return s;
    }

    private void loop() {
        while (running) {
            sample();
            try {
                Thread.sleep(PERIOD_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void sample() {
        Runtime rt = Runtime.getRuntime();
        physicalPeak = Math.max(physicalPeak, Pointer.physicalBytes());
        totalPeak = Math.max(totalPeak, Pointer.totalBytes());
        heapPeak = Math.max(heapPeak, rt.totalMemory() - rt.freeMemory());
    }

    /** @return the largest {@link Pointer#physicalBytes()} sampled */
    public long physicalPeak() {
        return physicalPeak;
    }

    /** @return the largest {@link Pointer#totalBytes()} sampled */
    public long totalPeak() {
        return totalPeak;
    }

    /** @return the largest Java heap in use sampled (used, not committed) */
    public long heapPeak() {
        return heapPeak;
    }

    /** Takes a last sample and stops the thread. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sample();
    }
}
