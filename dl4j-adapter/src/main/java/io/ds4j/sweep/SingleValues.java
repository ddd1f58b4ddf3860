package io.ds4j.sweep;

import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.FixedValue;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.integer.IntegerParameterSpace;

/**
 * Works around an Arbiter 1.0.0-beta7 grid-search defect: {@code GridSearchCandidateGenerator} gives a
 * {@code DiscreteParameterSpace} with one value (or an {@code IntegerParameterSpace} with min = max) no slot in the
 * candidate's values, while {@code BaseCandidateGenerator} still gives it an index, so every later leaf reads one
 * slot too far and the candidate fails with {@code ArrayIndexOutOfBoundsException} (measured with a single-valued
 * stage before a {@code ComputationGraphSpace}). Such a space is replaced by Arbiter's {@link FixedValue}, which
 * both generators treat as taking no slot.
 */
final class SingleValues {
    private SingleValues() {
    }

    /**
     * @param space a varied key's space
     * @return a {@link FixedValue} of its only value, or the space itself when it has more than one
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static <T> ParameterSpace<T> fixedIfSingle(ParameterSpace<T> space) {
        if (space instanceof DiscreteParameterSpace d && d.numValues() == 1) {
            d.setIndices(0); // no longer a leaf of any generator: its own index is ours to set
            return new FixedValue<>((T) d.getValue(new double[] {0.0}));
        }
        if (space instanceof IntegerParameterSpace i && i.getMin() == i.getMax()) {
            return (ParameterSpace<T>) new FixedValue<>(i.getMin());
        }
        return space;
    }
}
