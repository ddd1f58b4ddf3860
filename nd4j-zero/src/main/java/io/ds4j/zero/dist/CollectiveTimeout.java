package io.ds4j.zero.dist;

import java.time.Duration;
import java.util.Map;

/**
 * How long a collective waits for the other ranks before it fails naming the silent one, where the program does not
 * set it: {@code DS4J_COLLECTIVE_TIMEOUT_S} (seconds), else DeepSpeed's {@code DEEPSPEED_TIMEOUT} (whole minutes, as
 * DeepSpeed reads it for its process group), else {@link #DEFAULT}.
 *
 * <p>A rank whose process dies is named within seconds (its connections close); a host that stops answering without
 * closing them (powered off, its link down) is noticed only by this timeout, since TCP retransmits for many minutes
 * before giving up. So a job across hosts wants it well above its slowest step and well below the time a user would
 * wait.
 */
public final class CollectiveTimeout {
    /** The default: 10 minutes (DeepSpeed's is 30). */
    public static final Duration DEFAULT = Duration.ofMinutes(10);
    static final String SECONDS = "DS4J_COLLECTIVE_TIMEOUT_S";
    static final String MINUTES = "DEEPSPEED_TIMEOUT";

    private CollectiveTimeout() {
    }

    /** The timeout the variables of {@code env} give, or {@link #DEFAULT}. */
    public static Duration fromEnvironment(Map<String, String> env) {
        String s = env.get(SECONDS);
        if (s != null && !s.isBlank()) {
            return Duration.ofSeconds(positive(SECONDS, s, "seconds"));
        }
        String m = env.get(MINUTES);
        if (m != null && !m.isBlank()) {
            return Duration.ofMinutes(positive(MINUTES, m, "minutes"));
        }
        return DEFAULT;
    }

    private static long positive(String key, String v, String unit) {
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1 || n > 10_000_000L) {
            throw new IllegalArgumentException(key + "=" + v + " is not allowed: the collective timeout in " + unit
                    + " must be a whole number >= 1; set " + key + " to e.g. " + (unit.equals("seconds") ? "600" : "10")
                    + " or unset it for " + DEFAULT.toMinutes() + " minutes");
        }
        return n;
    }
}
