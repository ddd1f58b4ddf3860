package io.ds4j.zero.dist;

/**
 * Slurm's compressed host lists ({@code SLURM_JOB_NODELIST}): {@code a,b}, {@code node[01-04,07]},
 * {@code gpu[3-4]-ib,cpu1}. Only the first host is ever needed (rank 0 runs there), so only that is expanded.
 */
final class HostList {
    private HostList() {
    }

    /** The first host of {@code list}, or null when the list is null or blank. */
    static String first(String list) {
        if (list == null || list.isBlank()) {
            return null;
        }
        String s = list.trim();
        int depth = 0;
        int end = s.length();
        for (int i = 0; i < s.length(); i++) { // the first comma outside brackets ends the first entry
            char c = s.charAt(i);
            depth += c == '[' ? 1 : c == ']' ? -1 : 0;
            if (c == ',' && depth == 0) {
                end = i;
                break;
            }
        }
        String entry = s.substring(0, end);
        int open = entry.indexOf('[');
        if (open < 0) {
            return entry;
        }
        int close = entry.indexOf(']', open);
        if (close < 0) {
            throw new IllegalArgumentException("SLURM_JOB_NODELIST=" + list + " has an unclosed '['; set MASTER_ADDR"
                    + " to rank 0's host instead");
        }
        String range = entry.substring(open + 1, close).split(",")[0];
        String lo = range.split("-")[0];
        return entry.substring(0, open) + lo + entry.substring(close + 1);
    }
}
