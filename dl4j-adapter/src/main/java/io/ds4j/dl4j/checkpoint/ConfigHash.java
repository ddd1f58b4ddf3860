package io.ds4j.dl4j.checkpoint;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The config hash a checkpoint records: a digest of the settings that decide what training computes (the
 * {@code optimizer} and {@code scheduler} sections, {@code gradient_clipping}, the 16-bit format and its loss-scale
 * settings), but not of those that only decide how the work is laid out (world size, ZeRO stage, offload, buckets),
 * which a load may change: the state is resharded.
 */
public final class ConfigHash {

    private ConfigHash() {
    }

    /**
     * @param parts the settings, each printed with {@code String.valueOf} (records print their components)
     * @return the first 16 hex digits of the SHA-256 of the printed settings
     */
    public static String of(Object... parts) {
        StringBuilder b = new StringBuilder();
        for (Object p : parts) {
            b.append(p).append('\n');
        }
        return sha256Hex(b.toString()).substring(0, 16);
    }

    /**
     * @param text any text, encoded as UTF-8
     * @return the SHA-256 of {@code text} in lower-case hex (64 digits): what checkpoints and the rank rendezvous
     *         compare
     */
    public static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
