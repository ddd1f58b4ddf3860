package io.ds4j.config;

import io.ds4j.schedules.Strings;
import java.util.Collection;
import java.util.Optional;

/** Suggests the closest known key for a misspelt one ({@link Strings#nearest}: the one edit distance). */
final class DidYouMean {
    private DidYouMean() {
    }

    /** The closest candidate within a distance of max(2, a third of the key's length), if any. */
    static Optional<String> closest(String key, Collection<String> candidates) {
        return Optional.ofNullable(Strings.nearest(key, candidates));
    }

    /** " did you mean 'x'?" or "" when nothing is close. */
    static String hint(String key, Collection<String> candidates) {
        return closest(key, candidates).map(c -> " did you mean '" + c + "'?").orElse("");
    }
}
