package io.ds4j.zero.stage3;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.config.ZeroStage3Config;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Gathers, prefetches and releases the parameters of one rank's modules in a known trace, with DeepSpeed's rules for
 * {@code stage3_prefetch_bucket_size}, {@code stage3_max_live_parameters} and {@code stage3_max_reuse_distance}
 * (see the package documentation). Gathers are synchronous here, so a prefetch moves a gather earlier in the trace
 * rather than overlapping it; which parameters are live at each point is DeepSpeed's.
 *
 * <h2>Call order</h2>
 * Per step, for each trace position in order: {@link #fetch(int)} of the module at that position, the module runs,
 * {@link #release(int)} of the same module. After the last position, {@link #endStep()} releases whatever is still
 * gathered (DeepSpeed's {@code release_and_reset_all}). Calling a module out of trace order throws.
 */
public final class ParamCoordinator {
    private record InTrace(PartitionedParam param, int step) { }

    private final List<ModuleParams> trace;
    private final List<InTrace> paramTrace = new ArrayList<>();
    private final Collectives comm;
    private final TransientBuffers buffers;
    private final ZeroStage3Config knobs;
    private final Deque<InTrace> queue = new ArrayDeque<>();
    private final Map<PartitionedParam, Integer> fetchedFor = new HashMap<>();
    private final Map<PartitionedParam, Integer> gathersThisStep = new HashMap<>();
    private Map<PartitionedParam, Integer> gathersLastStep = Map.of();
    private int step;
    private long live;
    private long peakLive;

    /**
     * @param trace   the modules in the order they run in one step (forward, then backward in reverse)
     * @param comm    this rank's group
     * @param buffers where gathered tensors live
     * @param knobs   the stage-3 knobs; persistence must already be marked ({@link Persistence})
     */
    public ParamCoordinator(List<ModuleParams> trace, Collectives comm, TransientBuffers buffers,
                            ZeroStage3Config knobs) {
        this.trace = List.copyOf(trace);
        this.comm = comm;
        this.buffers = buffers;
        this.knobs = knobs;
        for (int s = 0; s < this.trace.size(); s++) {
            for (PartitionedParam p : this.trace.get(s).params()) {
                paramTrace.add(new InTrace(p, s));
            }
        }
        for (PartitionedParam p : allParams()) {
            if (p.isPersistent() && p.state() == ParamState.SHARDED) {
                p.gather(comm, buffers);
            }
        }
        reset();
    }

    private Set<PartitionedParam> allParams() {
        Set<PartitionedParam> all = new LinkedHashSet<>();
        trace.forEach(m -> all.addAll(m.params()));
        return all;
    }

    private void reset() {
        queue.clear();
        queue.addAll(paramTrace);
        fetchedFor.clear();
        gathersThisStep.clear();
        step = 0;
    }

    /** Makes the parameters of the module at the current trace position available, then prefetches. */
    public void fetch(int moduleId) {
        ModuleParams m = expect(moduleId, "fetch");
        List<PartitionedParam> sharded = new ArrayList<>();
        for (PartitionedParam p : m.params()) {
            if (p.state() == ParamState.SHARDED) {
                sharded.add(p);
            }
        }
        gatherAll(sharded);
        Set<PartitionedParam> notYet = new HashSet<>();
        for (PartitionedParam p : m.params()) {
            if (fetchedFor.getOrDefault(p, Integer.MIN_VALUE) < step) {
                notYet.add(p);
            }
        }
        Set<PartitionedParam> popped = new HashSet<>();
        while (!queue.isEmpty() && popped.size() < notYet.size()) {
            InTrace t = queue.pollFirst();
            fetchedFor.put(t.param(), t.step());
            popped.add(t.param());
        }
        if (!popped.equals(notYet)) {
            throw new IllegalStateException("trace error at step " + step + ": module '" + m.name()
                    + "' expected its parameters next in the fetch queue");
        }
        prefetch();
        step++;
    }

    private void prefetch() {
        if (knobs.prefetchBucketSize() <= 0) {
            return;
        }
        long budget = Math.min(knobs.maxLiveParameters() - live, knobs.prefetchBucketSize());
        Set<PartitionedParam> chosen = new LinkedHashSet<>();
        long numel = 0;
        while (!queue.isEmpty() && numel < budget) {
            InTrace t = queue.pollFirst();
            PartitionedParam p = t.param();
            boolean take = p.state() == ParamState.SHARDED && !chosen.contains(p);
            fetchedFor.merge(p, t.step(), Math::max);
            if (take) {
                chosen.add(p);
                numel += p.spec().numel();
            }
        }
        gatherAll(new ArrayList<>(chosen));
    }

    /** Gathers {@code ps} in order, each announcing the padded elements of those after it to the buffers. */
    private void gatherAll(List<PartitionedParam> ps) {
        long coming = 0;
        for (PartitionedParam p : ps) {
            coming += p.layout().paddedLength();
        }
        for (PartitionedParam p : ps) {
            coming -= p.layout().paddedLength();
            gather(p, coming);
        }
    }

    /** Releases the module's parameters that DeepSpeed's rules do not keep for a use soon. */
    public void release(int moduleId) {
        if (step == 0 || trace.get(step - 1).id() != moduleId) {
            throw new IllegalStateException("release of module " + moduleId + " out of trace order: the module "
                    + "fetched last is " + (step == 0 ? "none" : trace.get(step - 1).name()));
        }
        Set<PartitionedParam> toRelease = new LinkedHashSet<>();
        for (PartitionedParam p : trace.get(step - 1).params()) {
            if (!p.isPersistent() && fetchedFor.getOrDefault(p, Integer.MIN_VALUE) <= step) {
                toRelease.add(p);
            }
        }
        long traversed = 0;
        for (int s = step; s < trace.size() && traversed < knobs.maxReuseDistance(); s++) {
            for (PartitionedParam p : trace.get(s).params()) {
                toRelease.remove(p);
                traversed += p.spec().numel();
            }
        }
        for (PartitionedParam p : toRelease) {
            if (p.state() == ParamState.GATHERED) {
                drop(p);
            }
        }
    }

    /** Ends the step: every non-persistent parameter is released and the trace starts over. */
    public void endStep() {
        if (step != trace.size()) {
            throw new IllegalStateException("endStep at trace position " + step + " of " + trace.size()
                    + "; every module must be fetched and released first");
        }
        for (PartitionedParam p : allParams()) {
            if (!p.isPersistent() && p.state() == ParamState.GATHERED) {
                drop(p);
            }
        }
        gathersLastStep = Map.copyOf(gathersThisStep);
        reset();
    }

    private ModuleParams expect(int moduleId, String what) {
        if (step >= trace.size() || trace.get(step).id() != moduleId) {
            throw new IllegalStateException(what + " of module " + moduleId + " out of trace order: position "
                    + step + " expects " + (step >= trace.size() ? "endStep()" : trace.get(step).name()));
        }
        return trace.get(step);
    }

    private void gather(PartitionedParam p, long comingNext) {
        p.gather(comm, buffers, comingNext);
        live += p.spec().numel();
        peakLive = Math.max(peakLive, live);
        gathersThisStep.merge(p, 1, Integer::sum);
    }

    private void drop(PartitionedParam p) {
        p.release(buffers);
        live -= p.spec().numel();
    }

    /** Elements of non-persistent parameters gathered now (DeepSpeed's {@code n_available_params}). */
    public long liveParameters() {
        return live;
    }

    /** The most live elements at once since creation. */
    public long peakLiveParameters() {
        return peakLive;
    }

    /** How often {@code p} was gathered in the current step so far. */
    public int gathersThisStep(PartitionedParam p) {
        return gathersThisStep.getOrDefault(p, 0);
    }

    /** How often {@code p} was gathered in the last completed step (0 before the first {@link #endStep()}). */
    public int gathersLastStep(PartitionedParam p) {
        return gathersLastStep.getOrDefault(p, 0);
    }

    /** The trace position (number of modules fetched this step). */
    public int position() {
        return step;
    }
}
