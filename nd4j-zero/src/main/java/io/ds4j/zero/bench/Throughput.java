package io.ds4j.zero.bench;

import java.util.Locale;

/**
 * One measured loop.
 *
 * @param name            what ran
 * @param bytesPerElement nominal traffic per element (see the package documentation)
 * @param elements        elements per repetition
 * @param seconds         the best repetition's wall time
 */
public record Throughput(String name, int bytesPerElement, long elements, double seconds) {
    /** Elements per second. */
    public double elementsPerSecond() {
        return elements / seconds;
    }

    /** Nominal bandwidth in GB/s (1e9 bytes). */
    public double gigabytesPerSecond() {
        return gigabytesPerSecond(bytesPerElement);
    }

    /** Bandwidth in GB/s if each element moved {@code bytes}. */
    public double gigabytesPerSecond(int bytes) {
        return elementsPerSecond() * bytes / 1e9;
    }

    /** One formatted line: name, elements/s, GB/s, bytes per element. */
    public String line() {
        return String.format(Locale.ROOT, "  %-44s %10.3e elem/s %8.2f GB/s  (%d B/elem)", name, elementsPerSecond(),
                gigabytesPerSecond(), bytesPerElement);
    }

    /** Times {@code body} {@code warmup + repeats} times and keeps the fastest of the last {@code repeats}. */
    static Throughput best(String name, int bytes, long elements, int warmup, int repeats, Runnable body) {
        double best = Double.MAX_VALUE;
        for (int r = 0; r < warmup + repeats; r++) {
            long t0 = System.nanoTime();
            body.run();
            double s = (System.nanoTime() - t0) / 1e9;
            if (r >= warmup) {
                best = Math.min(best, s);
            }
        }
        return new Throughput(name, bytes, elements, best);
    }
}
