package io.ds4j.cli.bench;

import io.ds4j.zero.ledger.MemoryCategory;
import io.ds4j.zero.ledger.MemoryTier;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one {@link MemoryProbe} child reported, read from its {@code ds4j-probe.<key>=<value>} lines; a child that
 * died before reporting (killed, timed out, a crash of the JVM) is a failure whose error is its exit status and the
 * last line it wrote to stderr.
 *
 * @param values the reported keys and values
 * @param ok     whether the child ran its setup to the end
 * @param error  why not ("" when ok)
 */
public record ProbeResult(Map<String, String> values, boolean ok, String error) {
    /** Copies the map. */
    public ProbeResult {
        values = Map.copyOf(values);
    }

    /**
     * @param child the finished child
     * @return its result
     */
    public static ProbeResult of(ChildJvm.Result child) {
        Map<String, String> v = new LinkedHashMap<>();
        for (String line : child.stdout()) {
            if (line.startsWith(MemoryProbe.PREFIX) && line.indexOf('=') > 0) {
                int eq = line.indexOf('=');
                v.put(line.substring(MemoryProbe.PREFIX.length(), eq), line.substring(eq + 1));
            }
        }
        if (child.exitCode() == 0 && "ok".equals(v.get("status"))) {
            return new ProbeResult(v, true, "");
        }
        String why = v.containsKey("error") ? v.get("error") : child.timedOut() ? "timed out after "
                + child.seconds() + " s" : "child exited with status " + child.exitCode() + ": "
                + child.lastErrorLine();
        return new ProbeResult(v, false, why);
    }

    /**
     * @param key a reported key
     * @return its value as a number; -1 when absent or not a number
     */
    public long bytes(String key) {
        try {
            return Long.parseLong(values.getOrDefault(key, "-1"));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** @return the seconds the child's setup ran; NaN when absent */
    public double seconds() {
        try {
            return Double.parseDouble(values.getOrDefault("seconds", "NaN"));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** @return whether the failure was an OutOfMemoryError (Java heap or JavaCPP) */
    public boolean outOfMemory() {
        return "true".equals(values.get("oom")) || error.contains("OutOfMemoryError");
    }

    /**
     * @param category a ledger category
     * @return its peak on the ranks' largest ledger, summed over tiers (each tier's peak); -1 without a ledger
     */
    public long ledgerPeak(MemoryCategory category) {
        if (!values.containsKey("ledger.peak")) {
            return -1;
        }
        long s = 0;
        for (MemoryTier t : MemoryTier.values()) {
            s += Math.max(0, bytes("ledger." + category + "." + t));
        }
        return s;
    }

    /**
     * @param category a ledger category
     * @return its peak in memory (DEVICE plus HOST tier peaks; DISK is files) on the ranks' largest ledger; -1
     *         without a ledger
     */
    public long ledgerPeakInMemory(MemoryCategory category) {
        if (!values.containsKey("ledger.peak")) {
            return -1;
        }
        return Math.max(0, bytes("ledger." + category + "." + MemoryTier.DEVICE))
                + Math.max(0, bytes("ledger." + category + "." + MemoryTier.HOST));
    }

    /** @return the ledger's peak in memory: the DEVICE plus the HOST tier peak; -1 without a ledger */
    public long ledgerPeakInMemory() {
        if (!values.containsKey("ledger.peak")) {
            return -1;
        }
        return Math.max(0, bytes("ledger.tier." + MemoryTier.DEVICE)) + Math.max(0, bytes("ledger.tier."
                + MemoryTier.HOST));
    }

    /** @return the ledger category with the largest peak in memory (device and host), or "" without a ledger */
    public String dominantCategory() {
        MemoryCategory best = null;
        for (MemoryCategory c : MemoryCategory.values()) {
            if (best == null || ledgerPeakInMemory(c) > ledgerPeakInMemory(best)) {
                best = c;
            }
        }
        return best == null || ledgerPeakInMemory(best) < 0 ? "" : best.name();
    }
}
