package io.ds4j.dl4j.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link PythonFloat#repr} against the strings CPython 3 prints for {@code repr(x)} (recorded once by hand). */
class PythonFloatTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "1.0|1.0", "0.1|0.1", "1e-4|0.0001", "1e-5|1e-05", "1e16|1e+16", "1e15|1000000000000000.0",
        "2.5e-7|2.5e-07", "65536|65536.0", "-0.0|-0.0", "NaN|nan", "Infinity|inf", "-Infinity|-inf",
        "0.3333333333333333|0.3333333333333333", "0.30000000000000004|0.30000000000000004", "1e301|1e+301",
        "4.9e-324|5e-324", "1.7976931348623157e308|1.7976931348623157e+308",
        "0.10000000149011612|0.10000000149011612", "123456789.125|123456789.125",
        "0.6931471805599453|0.6931471805599453", "1e22|1e+22", "1e23|1e+23", "9.999999999999999e22|1e+23",
        "2e23|2e+23", "0.003|0.003", "-32768|-32768.0"})
    void matchesPythonRepr(double x, String python) {
        assertEquals(python, PythonFloat.repr(x));
    }
}
