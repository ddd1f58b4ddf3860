package io.ds4j.dl4j.pass;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;
import org.nd4j.linalg.api.memory.MemoryManager;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J workspace a layer-by-layer pass keeps current while its layers run, for what {@link PassArrays} does not
 * see: the arrays ND4J's operations make inside DL4J's layer calls without the workspace manager (a matrix product
 * into a {@code 'c'}-order result computes into an {@code 'f'}-order temporary, {@code BaseNDArray.mmuli}; a loss
 * function's gradient). Without it each of those was a native buffer freed only when the collector finds its Java
 * object unreachable, which a pass's few Java objects seldom make it do: in {@code bench memory}'s zero-2 child at
 * Ψ = 4M (layers 702 wide, 16 examples per rank, 2 ranks, 5 steps) they were 7.9 of the 19.8 MB of native arrays the
 * passes made outside any workspace (counted per allocation site); the rest, the workspace manager's,
 * {@link PassArrays} frees. The workspace is reset after every module ({@link #nextModule}): its block is sized by the
 * first module's need (ND4J's first-loop learning, 5% over), grows when a later module needs more, and is reused by
 * every module of every pass.
 *
 * <p>The rank's own code between the layers (the hooks: gathers, buckets, pools) runs with no workspace current
 * ({@link #outside}), so nothing it keeps lives in memory a later pass reuses. One instance per pass object, used by
 * one thread (the rank's): ND4J keeps workspaces per thread; each instance has a name of its own.
 */
final class PassWorkspace implements AutoCloseable {
    private static final AtomicLong IDS = new AtomicLong();
    private static final WorkspaceConfiguration CONFIG = WorkspaceConfiguration.builder().initialSize(0)
            .overallocationLimit(0.05).policyLearning(LearningPolicy.FIRST_LOOP).policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE).policyAllocation(AllocationPolicy.OVERALLOCATE).build();

    private final String name = "ds4j-pass-" + IDS.incrementAndGet();
    private MemoryWorkspace pass;

    /** Makes the workspace current on this thread for one pass; closing what it returns ends the pass. */
    MemoryWorkspace open() {
        pass = Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(CONFIG, name);
        return pass.notifyScopeEntered();
    }

    /**
     * Between two modules of a pass (after a module's {@code leave}): leaves the workspace's scope and enters it
     * again, so what the last module's calls left in it is reset and the next module reuses the block from its
     * start. A module's temporaries are dead once its calls return (the arrays the layers keep come from the pass's
     * workspace manager, {@link PassArrays}, or are leveraged out of the workspace: DL4J's {@code fit()} resets its
     * working-memory workspace per layer the same way), so the block is sized by the largest module's need, not
     * the whole pass's.
     */
    void nextModule() {
        if (pass != null && pass.isScopeActive()) {
            pass.notifyScopeLeft();
            pass.notifyScopeEntered();
        }
    }

    /**
     * Runs the rank's code between layers with no workspace current (the memory manager's scope-out, which leaves the
     * workspace as it is: the workspace manager's tags it, and a borrow inside the tag would not be released).
     */
    static <T> T outside(Supplier<T> body) {
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            return body.get();
        }
    }

    /** {@link LayerHooks#enter} outside the workspace. */
    static Layer enter(LayerHooks hooks, int id) {
        return outside(() -> hooks.enter(id));
    }

    /** {@link LayerHooks#leave} outside the workspace. */
    static void leave(LayerHooks hooks, int id) {
        outside(() -> {
            hooks.leave(id);
            return null;
        });
    }

    /** {@link LayerHooks#endStep} outside the workspace. */
    static void endStep(LayerHooks hooks) {
        outside(() -> {
            hooks.endStep();
            return null;
        });
    }

    /** {@link LayerHooks#backprop} outside the workspace, the module's backward {@code body} inside it. */
    <T> T backprop(LayerHooks hooks, int id, Supplier<T> body) {
        return outside(() -> hooks.backprop(id, () -> {
            MemoryManager memory = Nd4j.getMemoryManager();
            MemoryWorkspace before = memory.getCurrentWorkspace();
            memory.setCurrentWorkspace(pass);
            try {
                return body.get();
            } finally {
                memory.setCurrentWorkspace(before);
            }
        }));
    }

    /** @return the bytes of the workspace's block (sized by the first pass; 0 before it) */
    long bytes() {
        return pass == null ? 0 : pass.getCurrentSize();
    }

    /** Frees the workspace's memory; call when no pass runs (the rank's thread is idle or has stopped). */
    @Override
    public void close() {
        if (pass != null) {
            pass.destroyWorkspace(true);
            pass = null;
        }
    }
}
