package io.ds4j.zero.offload;

import io.ds4j.zero.kernels.FusedLamb;
import io.ds4j.zero.kernels.FusedOptimizer;

/**
 * The lifecycle of a store: {@code NEW -> READY} ({@code initialize}), {@code READY -> FAILED} (a step threw),
 * any {@code -> CLOSED}. Illegal calls throw and name the state. Not thread-safe: one rank's thread drives a store.
 */
final class StoreState {
    enum Phase { NEW, READY, FAILED, CLOSED }

    private final String what;
    private Phase phase = Phase.NEW;

    StoreState(String what) {
        this.what = what;
    }

    Phase phase() {
        return phase;
    }

    void initialized() {
        requireOpen("initialize");
        if (phase == Phase.FAILED) {
            throw new IllegalStateException(what + " is FAILED after an exception inside a step; close it");
        }
        phase = Phase.READY;
    }

    void requireReady(String call) {
        requireOpen(call);
        if (phase != Phase.READY) {
            throw new IllegalStateException(what + ": " + call + " needs state READY, but it is " + phase
                    + (phase == Phase.NEW ? "; call initialize(params) first"
                            : "; a step threw and left the shard partly updated; close it and restart from a"
                                    + " checkpoint"));
        }
    }

    void failed() {
        if (phase != Phase.CLOSED) {
            phase = Phase.FAILED;
        }
    }

    /** Marks the store closed; returns false when it already was. */
    boolean close() {
        if (phase == Phase.CLOSED) {
            return false;
        }
        phase = Phase.CLOSED;
        return true;
    }

    private void requireOpen(String call) {
        if (phase == Phase.CLOSED) {
            throw new IllegalStateException(what + ": " + call + " after close()");
        }
    }

    /** Checks that {@code optimizer} fits a store with {@code stateWords} state vectors stepped by sub-groups. */
    static void checkOptimizer(FusedOptimizer optimizer, int stateWords, boolean subGrouped) {
        if (optimizer.stateWords() != stateWords) {
            throw new IllegalArgumentException(optimizer.name() + " keeps " + optimizer.stateWords()
                    + " state vector(s) but the store was created for " + stateWords
                    + "; create the store with StoreRequest.stateWords = optimizer.stateWords()");
        }
        if (subGrouped && optimizer instanceof FusedLamb) {
            throw new IllegalArgumentException("optimizer.type Lamb cannot be offloaded: its trust ratio needs whole"
                    + " tensors, not sub-groups (DeepSpeed has no CPU Lamb either); use Adam, AdamW, SGD, Adagrad or"
                    + " Lion with zero_optimization.offload_optimizer, or set offload_optimizer.device to none");
        }
    }

    /** Checks that a restore gives as many state vectors as the store keeps. */
    static void checkWords(int given, int stateWords) {
        if (given != stateWords) {
            throw new IllegalArgumentException("restore got " + given + " state vector(s) but the store keeps "
                    + stateWords + "; load a checkpoint saved with the same optimizer type");
        }
    }
}
