package io.ds4j.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kernel's account of this process's resident memory, from {@code /proc/self/status} (Linux): {@code VmRSS} (now)
 * and {@code VmHWM} (the high-water mark: the largest RSS the process ever had, kept by the kernel, so no sampling
 * can miss a peak). Both include the Java heap, ND4J's off-heap arrays and the JVM's own memory. -1 elsewhere.
 */
public final class ProcStatus {
    private ProcStatus() {
    }

    /** @return VmRSS in bytes, or -1 when it cannot be read */
    public static long rssBytes() {
        return field("VmRSS:");
    }

    /** @return VmHWM (peak RSS) in bytes, or -1 when it cannot be read */
    public static long peakRssBytes() {
        return field("VmHWM:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    String kb = line.substring(name.length()).trim().split("\\s+")[0];
                    return Long.parseLong(kb) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
