package io.ds4j.config;

/**
 * A DeepSpeed configuration that ds4j cannot accept: malformed JSON, a wrong type or range, an unknown key in a
 * strictly validated section, an inconsistent batch triad, or a feature ds4j refuses. {@link #path()} is the JSON
 * path of the offending key ({@code "zero_optimization.offload_optimizer.device"}, {@code "optimizer.params.betas[1]"};
 * {@code ""} for the document itself); {@link #detail()} says what is wrong and how to fix it.
 */
public class DeepSpeedConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String path;
    private final String detail;

    /**
     * @param path   JSON path of the offending key, {@code ""} for the root
     * @param detail {@code <what is wrong>; <how to fix>}, naming the value
     */
    public DeepSpeedConfigException(String path, String detail) {
        super(path.isEmpty() ? detail : path + ": " + detail);
        this.path = path;
        this.detail = detail;
    }

    /**
     * @param path   JSON path of the offending key, {@code ""} for the root
     * @param detail {@code <what is wrong>; <how to fix>}
     * @param cause  the underlying failure (an I/O or parser error)
     */
    public DeepSpeedConfigException(String path, String detail, Throwable cause) {
        super(path.isEmpty() ? detail : path + ": " + detail, cause);
        this.path = path;
        this.detail = detail;
    }

    /** The JSON path of the offending key; {@code ""} for the root. */
    public String path() {
        return path;
    }

    /** The message without the path. */
    public String detail() {
        return detail;
    }
}
