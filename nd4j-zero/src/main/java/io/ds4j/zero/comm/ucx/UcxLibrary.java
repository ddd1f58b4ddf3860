package io.ds4j.zero.comm.ucx;

import java.util.Optional;

/**
 * Whether the native UCX library can be loaded in this JVM. jucx (the Java binding) ships its own JNI glue but links
 * against the operating system's UCX ({@code libucp.so.0}), which comes from the OS package manager, not Maven.
 */
public final class UcxLibrary {
    /** What to do when UCX is missing, quoted in every error about it. */
    public static final String INSTALL_HINT = "install the OS package libucx0 (Debian/Ubuntu: apt-get install -y"
            + " libucx0; RHEL/Fedora: dnf install ucx); jucx " + "1.12.1 needs UCX 1.12 or newer";

    private static final Optional<String> PROBLEM = probe();

    private UcxLibrary() {
    }

    private static Optional<String> probe() {
        try {
            Class.forName("org.openucx.jucx.ucp.UcpContext", true, UcxLibrary.class.getClassLoader());
            return Optional.empty();
        } catch (ClassNotFoundException e) {
            return Optional.of("the jucx jar (org.openucx:jucx) is not on the class path");
        } catch (LinkageError e) { // UnsatisfiedLinkError, ExceptionInInitializerError from NativeLibs
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            return Optional.of(String.valueOf(root.getMessage()));
        }
    }

    /** Empty when UCX loaded; otherwise why it could not be loaded. */
    public static Optional<String> unavailableReason() {
        return PROBLEM;
    }

    /** @return true when UCX can be used in this JVM */
    public static boolean available() {
        return PROBLEM.isEmpty();
    }

    /**
     * Throws when UCX cannot be loaded, naming the missing library and the package to install.
     *
     * @throws IllegalStateException naming the cause and {@link #INSTALL_HINT}
     */
    public static void require() {
        PROBLEM.ifPresent(p -> {
            throw new IllegalStateException("UCX native library (libucp.so.0) could not be loaded: " + p + "; "
                    + INSTALL_HINT);
        });
    }
}
