package io.ds4j.cli;

/** Bad command-line arguments: {@link Main} prints the message and the command's usage and exits with 2. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong with the arguments, naming the argument */
    public UsageException(String message) {
        super(message);
    }
}
