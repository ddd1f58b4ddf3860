package io.ds4j.zero.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The ds4j version this code was built as (Maven's project version, filtered into a resource at build time). */
public final class Ds4jVersion {

    private Ds4jVersion() {
    }

    /** @return the version, e.g. {@code 0.1.0-SNAPSHOT}; {@code unknown} when the resource is missing */
    public static String get() {
        try (InputStream in = Ds4jVersion.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
