package io.ds4j.cli;

/** Whole-number command-line values as the bench commands accept them: 50000000, 50_000_000, 5e7, 50M or 50k. */
public final class WholeNumbers {

    private WholeNumbers() {
    }

    /**
     * Parses {@code value}, given for option {@code key}.
     *
     * @throws UsageException naming the option and the range when it is not a whole number in [min, max]
     */
    public static long parse(String key, String value, long min, long max) {
        String v = value.replace("_", "").trim();
        double mult = 1;
        char last = v.isEmpty() ? ' ' : Character.toUpperCase(v.charAt(v.length() - 1));
        if (last == 'K' || last == 'M' || last == 'G') {
            mult = last == 'K' ? 1e3 : last == 'M' ? 1e6 : 1e9;
            v = v.substring(0, v.length() - 1);
        }
        double d;
        try {
            d = Double.parseDouble(v) * mult;
        } catch (NumberFormatException e) {
            throw new UsageException(key + " must be a whole number (e.g. 50M, 5e7, 50_000_000), got '" + value + "'");
        }
        if (d != Math.rint(d) || d < min || d > max) {
            throw new UsageException(key + " must be a whole number in [" + min + ", " + max + "], got '" + value
                    + "'");
        }
        return (long) d;
    }
}
