package io.ds4j.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** Suggests the closest known key for a misspelt one (Levenshtein distance, case-insensitive). */
final class DidYouMean {
    private DidYouMean() {
    }

    /** The closest candidate within a distance of max(2, a third of the key's length), if any. */
    static Optional<String> closest(String key, Collection<String> candidates) {
        String k = key.toLowerCase(Locale.ROOT);
        int limit = Math.max(2, k.length() / 3);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(k, c.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        return bestDistance <= limit ? Optional.ofNullable(best) : Optional.empty();
    }

    /** " did you mean 'x'?" or "" when nothing is close. */
    static String hint(String key, Collection<String> candidates) {
        return closest(key, candidates).map(c -> " did you mean '" + c + "'?").orElse("");
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
