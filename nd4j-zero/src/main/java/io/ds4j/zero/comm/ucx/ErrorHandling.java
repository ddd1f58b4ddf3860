package io.ds4j.zero.comm.ucx;

import java.util.Locale;

/**
 * How ranks notice a lost peer, chosen by {@code DS4J_UCX_ERROR_HANDLING} (every rank the same). UCX 1.13 offers its
 * peer error handling only on transports that can detect a failed peer (TCP, RDMA), not on shared memory or
 * cross-memory attach, so an endpoint with it between processes of one host runs over the loopback at a fraction of
 * shared memory's bandwidth.
 */
enum ErrorHandling {
    /**
     * The default: data endpoints without UCX's error handling (shared memory within a host) and, per peer, a control
     * endpoint with it that carries only the connect handshake and aborts. A killed peer fails the control endpoint
     * (its connection closes) and is named at once; one that fails mid-transfer also fails the data endpoint.
     */
    CONTROL,
    /** Every endpoint with UCX's peer error handling: a lost peer is named at once, TCP within a host. */
    PEER,
    /**
     * No error handling endpoint: shared memory within a host; a dead peer is named when a transfer with it fails, or
     * by the collective timeout when none was under way.
     */
    NONE;

    /** The variable that chooses the mode. */
    static final String VARIABLE = "DS4J_UCX_ERROR_HANDLING";

    /** Reads the variable's value (null or blank: {@link #CONTROL}), naming a bad one with the choices. */
    static ErrorHandling parse(String value) {
        if (value == null || value.isBlank()) {
            return CONTROL;
        }
        for (ErrorHandling m : values()) {
            if (m.name().toLowerCase(Locale.ROOT).equals(value.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException(VARIABLE + "=" + value + " is not a UCX error handling mode; use control"
                + " (default: shared memory within a host, a lost peer is named at once over a control endpoint),"
                + " peer (every endpoint with UCX's peer error handling: TCP within a host) or none (shared memory, a"
                + " dead peer is named by a failed transfer or the collective timeout)");
    }

    /** Whether data endpoints use UCX's peer error handling. */
    boolean dataPeer() {
        return this == PEER;
    }

    /** Whether each peer gets a separate control endpoint with UCX's peer error handling. */
    boolean control() {
        return this == CONTROL;
    }
}
