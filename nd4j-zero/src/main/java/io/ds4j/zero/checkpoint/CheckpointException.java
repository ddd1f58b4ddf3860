package io.ds4j.zero.checkpoint;

import java.nio.file.Path;

/**
 * A checkpoint that cannot be loaded: a missing, truncated or corrupt file, a file of another format, or one that
 * does not belong with the others or with the network it is loaded into. The message names the file and what is
 * wrong, and says what to do. Thrown before anything is loaded, so the caller's network and engine stay untouched.
 * It is an {@link IllegalArgumentException} because the input is at fault: the command line exits with status 2.
 */
public final class CheckpointException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * @param file the file (or folder) at fault
     * @param what what is wrong with it and what to do
     */
    public CheckpointException(Path file, String what) {
        super(file + ": " + what);
    }

    /**
     * @param file the file (or folder) at fault
     * @param what what is wrong with it and what to do
     * @param cause the underlying error
     */
    public CheckpointException(Path file, String what, Throwable cause) {
        super(file + ": " + what, cause);
    }
}
