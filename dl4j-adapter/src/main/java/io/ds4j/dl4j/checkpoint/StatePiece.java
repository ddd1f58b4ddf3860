package io.ds4j.dl4j.checkpoint;

/**
 * A contiguous piece of one canonical state vector (see {@link EngineState}) that one rank holds.
 *
 * @param offset where the piece starts in the whole canonical vector
 * @param values the piece's values (fp32)
 */
public record StatePiece(long offset, float[] values) {
    /** Validates the offset. */
    public StatePiece {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, got " + offset);
        }
    }
}
