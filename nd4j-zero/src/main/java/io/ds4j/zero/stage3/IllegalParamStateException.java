package io.ds4j.zero.stage3;

/** An operation that the parameter's current {@link ParamState} does not allow; the message names both. */
public final class IllegalParamStateException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    IllegalParamStateException(String param, ParamState state, String operation, String fix) {
        super("parameter '" + param + "' is " + state + "; cannot " + operation + " (" + fix + ")");
    }
}
