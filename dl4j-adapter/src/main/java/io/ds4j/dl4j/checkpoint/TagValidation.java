package io.ds4j.dl4j.checkpoint;

import java.util.Locale;

/**
 * DeepSpeed's {@code checkpoint.tag_validation}: what a load does when the checkpoint was saved under another
 * configuration (its config hash differs). DeepSpeed checks that every rank saves under the same tag; ds4j's ranks
 * share one save, so the tag always agrees, and the setting governs the config check instead.
 */
public enum TagValidation {
    /** Load without a word. */
    IGNORE,
    /** Load and log a warning naming both hashes (DeepSpeed's default). */
    WARN,
    /** Refuse the load, naming the file and both hashes. */
    FAIL;

    /**
     * @param value {@code Ignore}, {@code Warn} or {@code Fail}, any case
     * @return the value
     * @throws IllegalArgumentException naming the key when it is none of them
     */
    public static TagValidation parse(String value) {
        try {
            return valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("checkpoint.tag_validation: '" + value + "' is not allowed; use"
                    + " Ignore, Warn or Fail");
        }
    }
}
