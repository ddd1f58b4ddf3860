package io.ds4j.schedules;

import java.util.Collection;

/**
 * "Did you mean" suggestions for misspelt keys and type names: ds4j's one edit distance, used by the schedule
 * factory here and by the configuration reader in the adapter (which depends on this module; the leaf modules do not
 * depend on each other, so this is the lowest module both see).
 */
public final class Strings {
    private Strings() {
    }

    /**
     * The candidate closest to {@code word} by edit distance (case-insensitive), the first of equally close ones, when
     * within {@code max(2, word.length() / 3)}.
     *
     * @param word       the misspelt word
     * @param candidates the known words
     * @return the closest candidate, or null if none is close (or {@code word} is null)
     */
    public static String nearest(String word, Collection<String> candidates) {
        if (word == null) {
            return null;
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(word.toLowerCase(java.util.Locale.ROOT), c.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        return bestDistance <= Math.max(2, word.length() / 3) ? best : null;
    }

    /** @return the Levenshtein distance between {@code a} and {@code b} (case-sensitive) */
    public static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
