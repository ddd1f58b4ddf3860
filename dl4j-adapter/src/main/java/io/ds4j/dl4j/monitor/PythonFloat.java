package io.ds4j.dl4j.monitor;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Python's {@code repr(float)} (what {@code csv.writer} writes for a float): the shortest decimal that reads back as
 * the same double, in positional notation when its decimal exponent is in [-4, 16), else as {@code d.ddde+XX}
 * (at least two exponent digits); {@code 1.0}, {@code 0.0001}, {@code 1e-05}, {@code 65536.0}, {@code 1e+16},
 * {@code inf}, {@code nan}. Shortest digits are found as the nearest p-digit decimal for the smallest p that round
 * trips, which is Python's choice except in rare cases where a farther p-digit decimal also round trips.
 */
final class PythonFloat {
    private PythonFloat() {
    }

    static String repr(double x) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        String sign = (Double.doubleToRawLongBits(x) < 0) ? "-" : "";
        if (x == 0) {
            return sign + "0.0";
        }
        BigDecimal shortest = shortest(Math.abs(x));
        String digits = shortest.unscaledValue().toString();
        int exp10 = digits.length() - 1 - shortest.scale();   // x = d.ddd * 10^exp10
        return sign + (exp10 >= -4 && exp10 < 16 ? positional(digits, exp10) : scientific(digits, exp10));
    }

    private static BigDecimal shortest(double a) {
        BigDecimal exact = new BigDecimal(a);
        for (int p = 1; p < 17; p++) {
            BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (r.doubleValue() == a) {
                return r.stripTrailingZeros();
            }
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }

    private static String positional(String digits, int exp10) {
        if (exp10 < 0) {
            return "0." + "0".repeat(-exp10 - 1) + digits;
        }
        if (digits.length() <= exp10 + 1) {
            return digits + "0".repeat(exp10 + 1 - digits.length()) + ".0";
        }
        return digits.substring(0, exp10 + 1) + "." + digits.substring(exp10 + 1);
    }

    private static String scientific(String digits, int exp10) {
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String e = Integer.toString(Math.abs(exp10));
        return mantissa + "e" + (exp10 < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
    }
}
