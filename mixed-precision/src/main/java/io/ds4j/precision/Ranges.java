package io.ds4j.precision;

/** Bounds checks shared by the bulk conversions, with messages that name the array, the range and the length. */
final class Ranges {

    private Ranges() {
    }

    /** Throws unless {@code [off, off+n)} lies inside an array of {@code length} elements. */
    static void check(int length, int off, int n, String name) {
        if (off < 0 || n < 0 || off > length - n) {
            throw new IndexOutOfBoundsException("range [" + off + ", " + ((long) off + n) + ") of " + name
                    + " is outside its " + length + " elements; pass an offset >= 0 and a count that fits");
        }
    }
}
