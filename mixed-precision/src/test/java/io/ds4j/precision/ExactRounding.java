package io.ds4j.precision;

import java.math.BigDecimal;
import java.util.Arrays;

/**
 * An independent, deliberately slow reference for rounding a float to a 16-bit format: it lists every finite
 * non-negative value of the format (decoded from the textbook formula with {@link Math#pow}), finds the two
 * neighbours of |x| by binary search and picks the nearer one with exact {@link BigDecimal} arithmetic, ties to the
 * neighbour with an even bit pattern. Magnitudes beyond the largest finite value compare against 2^(emax+1), the
 * value the format would have next with an unbounded exponent, which stands for Inf (its fraction is 0: even).
 */
final class ExactRounding {

    /** binary16: 5 exponent bits, 10 fraction bits, bias 15. */
    static final ExactRounding FP16 = new ExactRounding(5, 10);
    /** bfloat16: 8 exponent bits, 7 fraction bits, bias 127. */
    static final ExactRounding BF16 = new ExactRounding(8, 7);

    private final int exponentBits;
    private final int fractionBits;
    private final double[] values;   // values[k] = decode(k) for k = 0 .. (first Inf pattern) - 1, ascending
    private final double beyondMax;  // 2^(emax+1)

    private ExactRounding(int exponentBits, int fractionBits) {
        this.exponentBits = exponentBits;
        this.fractionBits = fractionBits;
        int infBits = ((1 << exponentBits) - 1) << fractionBits;
        this.values = new double[infBits];
        for (int k = 0; k < infBits; k++) {
            values[k] = decode(k);
        }
        int bias = (1 << (exponentBits - 1)) - 1;
        this.beyondMax = Math.pow(2, bias + 1);
    }

    /** The value of a bit pattern by the formula; NaN and Inf for the all-ones exponent. */
    double decode(int bits) {
        int bias = (1 << (exponentBits - 1)) - 1;
        int sign = (bits >> (exponentBits + fractionBits)) & 1;
        int e = (bits >> fractionBits) & ((1 << exponentBits) - 1);
        int m = bits & ((1 << fractionBits) - 1);
        double magnitude;
        if (e == (1 << exponentBits) - 1) {
            magnitude = m == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else if (e == 0) {
            magnitude = m / Math.pow(2, fractionBits) * Math.pow(2, 1 - bias);
        } else {
            magnitude = (1 + m / Math.pow(2, fractionBits)) * Math.pow(2, e - bias);
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    /** The bit pattern of the Inf with the given sign. */
    int inf(boolean negative) {
        return signBit(negative) | (((1 << exponentBits) - 1) << fractionBits);
    }

    /** The correctly rounded bit pattern of a non-NaN float (callers handle NaN themselves). */
    int round(float x) {
        if (Float.isNaN(x)) {
            throw new IllegalArgumentException("the reference does not round NaN");
        }
        boolean negative = Math.copySign(1f, x) < 0;
        double a = Math.abs((double) x);
        if (Double.isInfinite(a)) {
            return inf(negative);
        }
        int i = Arrays.binarySearch(values, a);
        if (i >= 0) {
            return signBit(negative) | i;
        }
        int lo = -i - 2; // values[lo] < a < values[lo + 1] (or beyondMax)
        double hiValue = lo + 1 < values.length ? values[lo + 1] : beyondMax;
        BigDecimal exact = new BigDecimal(a);
        int cmp = exact.subtract(new BigDecimal(values[lo])).compareTo(new BigDecimal(hiValue).subtract(exact));
        int hi = lo + 1; // for beyondMax this is the Inf pattern, whose fraction bits are 0
        int chosen = cmp < 0 ? lo : cmp > 0 ? hi : ((lo & 1) == 0 ? lo : hi);
        return signBit(negative) | chosen;
    }

    /** The number of finite non-negative patterns (0 .. largest finite). */
    int finiteCount() {
        return values.length;
    }

    private int signBit(boolean negative) {
        return negative ? 1 << (exponentBits + fractionBits) : 0;
    }
}
