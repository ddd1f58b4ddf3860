package io.ds4j.sweep;

import org.deeplearning4j.arbiter.optimize.api.termination.TerminationCondition;
import org.deeplearning4j.arbiter.optimize.runner.IOptimizationRunner;

/**
 * Ends a run once the candidate generator has nothing left and no candidate is queued or running. Arbiter's runner
 * otherwise keeps polling a finished grid search until another termination condition fires (its loop ends only on
 * a termination condition), so a grid whose size is not known in advance needs this one.
 */
public final class AllCandidatesDone implements TerminationCondition {
    @Override
    public void initialize(IOptimizationRunner runner) {
        // nothing to start
    }

    @Override
    public boolean terminate(IOptimizationRunner runner) {
        return !runner.getConfiguration().getCandidateGenerator().hasMoreCandidates()
                && runner.numCandidatesQueued() == 0;
    }

    @Override
    public String toString() {
        return "AllCandidatesDone";
    }
}
