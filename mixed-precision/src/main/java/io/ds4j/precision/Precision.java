package io.ds4j.precision;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * The three floating-point formats ds4j trains with, named as DeepSpeed names them in {@code communication_data_type}
 * ({@code "fp32"}, {@code "fp16"}, {@code "bf16"}).
 *
 * <p>{@link #round(float)} and {@link #roundInPlace(float[], int, int)} map a float to the nearest value of this
 * format (round to nearest, ties to even), still held in a {@code float}: this is how ds4j keeps fp16/bf16 values on
 * backends that compute in FLOAT.
 */
public enum Precision {
    /** IEEE 754 binary32; ND4J {@code FLOAT}. */
    FP32("fp32", 4, DataType.FLOAT),
    /**
     * IEEE 754 binary16 (1 sign, 5 exponent, 10 fraction bits); ND4J {@code HALF}, the constant ND4J arrays report
     * (ND4J deprecates it in favour of {@code FLOAT16} yet turns {@code FLOAT16} into {@code HALF}).
     */
    @SuppressWarnings("deprecation")
    FP16("fp16", 2, DataType.HALF),
    /** bfloat16 (1 sign, 8 exponent, 7 fraction bits: the top half of a binary32); ND4J {@code BFLOAT16}. */
    BF16("bf16", 2, DataType.BFLOAT16);

    private final String key;
    private final int bytes;
    private final DataType dataType;

    Precision(String key, int bytes, DataType dataType) {
        this.key = key;
        this.bytes = bytes;
        this.dataType = dataType;
    }

    /** DeepSpeed's spelling ({@code "fp32"}, {@code "fp16"}, {@code "bf16"}). */
    public String key() {
        return key;
    }

    /** Bytes one element occupies when stored in this format. */
    public int bytes() {
        return bytes;
    }

    /** The ND4J data type that stores this format. */
    public DataType dataType() {
        return dataType;
    }

    /**
     * Parses DeepSpeed's spelling, case-insensitively as DeepSpeed does.
     *
     * @param key        {@code "fp32"}, {@code "fp16"} or {@code "bf16"}
     * @param configKey  the configuration key the value came from, for the error message
     * @return the format
     * @throws IllegalArgumentException naming the key, the value and the accepted values
     */
    public static Precision parse(String key, String configKey) {
        if (key != null) {
            for (Precision p : values()) {
                if (p.key.equalsIgnoreCase(key.trim())) {
                    return p;
                }
            }
        }
        throw new IllegalArgumentException(configKey + " must be one of \"fp32\", \"fp16\", \"bf16\", got "
                + (key == null ? "null" : "\"" + key + "\"") + "; use one of those (or omit the key)");
    }

    /** The format ND4J's {@code dataType} stores: FLOAT, HALF (or FLOAT16) or BFLOAT16; others are rejected. */
    public static Precision of(DataType dataType) {
        if (dataType == DataType.FLOAT16) {
            return FP16;
        }
        for (Precision p : values()) {
            if (p.dataType == dataType) {
                return p;
            }
        }
        throw new IllegalArgumentException("data type " + dataType + " is not a training precision; use FLOAT, "
                + "HALF or BFLOAT16");
    }

    /** The value of this format nearest to {@code x} (ties to even), as a float; FP32 returns {@code x}. */
    public float round(float x) {
        return switch (this) {
            case FP32 -> x;
            case FP16 -> Fp16.round(x);
            case BF16 -> Bf16.round(x);
        };
    }

    /** Rounds {@code a[off, off+n)} in place to this format (see {@link #round(float)}); FP32 does nothing. */
    public void roundInPlace(float[] a, int off, int n) {
        switch (this) {
            case FP32 -> Ranges.check(a.length, off, n, "a");
            case FP16 -> Bulk16.FP16.roundInPlace(a, off, n);
            case BF16 -> Bulk16.BF16.roundInPlace(a, off, n);
        }
    }
}
