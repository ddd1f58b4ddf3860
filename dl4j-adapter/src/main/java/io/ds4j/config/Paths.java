package io.ds4j.config;

/** JSON path helpers: {@code a.b.c}, the root is {@code ""}. */
final class Paths {
    private Paths() {
    }

    /** The path of {@code key} inside the object at {@code parent}. */
    static String child(String parent, String key) {
        return parent.isEmpty() ? key : parent + "." + key;
    }

    /** The last segment of a path. */
    static String leaf(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? path : path.substring(dot + 1);
    }
}
