package io.ds4j.dl4j.pass;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The workspace manager a pass hands its layers: no workspaces (every array detached, as
 * {@link LayerWorkspaceMgr#noWorkspaces()}), but every array a layer makes through it (activations, pre-activations,
 * epsilons, working memory: {@code create}, {@code createUninitialized}, {@code dup}, a {@code castTo} that copies)
 * is remembered and freed by {@link #release()} when the pass ends, when no layer needs any of them any more.
 *
 * <p>Why: without workspaces, each of these is a native ND4J buffer that lives until the garbage collector finds its
 * Java object unreachable, and a step makes few Java objects, so a young collection comes seldom. Counted in
 * {@code bench memory}'s ZeRO-3 nvme child at Ψ = 16M (layers 1,410 wide, 16 examples per rank, 2 ranks; glibc's
 * {@code malloc}/{@code free} counted by a preloaded library): the native allocations below 256 KiB, 15 MiB before
 * the first step, peaked at 63 MiB after 5 steps, and at 33-37 MiB with this class. What is left are ND4J's own
 * temporaries inside DL4J's layer calls (a matrix product into a {@code 'c'}-order result goes through an
 * {@code 'f'}-order temporary, {@code BaseNDArray.mmuli}), which no workspace manager sees: the pass keeps a workspace
 * current for them ({@link PassWorkspace}); an array of it that a layer leverages comes back here as a detached copy,
 * freed with the rest. DL4J's own {@code fit()}
 * reuses its workspaces instead; DeepSpeed's activations are freed when their last reference goes. Freeing the arrays
 * changes no arithmetic ({@code PassArraysTest}: the pass's score and gradient equal DL4J's
 * {@code computeGradientAndScore()}, also on the pass after). A view is not freed (its owner is), nor is an array
 * already closed.
 * Confined to the pass's thread.
 */
final class PassArrays extends LayerWorkspaceMgr {
    private final List<INDArray> made = new ArrayList<>();

    PassArrays() {
        super(EnumSet.allOf(ArrayType.class), new HashMap<>(), new HashMap<>());
    }

    @Override
    public INDArray create(ArrayType type, DataType dataType, long[] shape, char order) {
        return remember(super.create(type, dataType, shape, order));
    }

    @Override
    public INDArray createUninitialized(ArrayType type, DataType dataType, long[] shape, char order) {
        return remember(super.createUninitialized(type, dataType, shape, order));
    }

    @Override
    public INDArray dup(ArrayType type, INDArray toDup, char order) {
        return remember(super.dup(type, toDup, order));
    }

    @Override
    public INDArray castTo(ArrayType type, DataType dataType, INDArray toCast, boolean dupIfCorrectType) {
        INDArray out = super.castTo(type, dataType, toCast, dupIfCorrectType);
        return out == toCast ? out : remember(out);
    }

    /** An array in the pass's workspace ({@link PassWorkspace}) leveraged to a type comes back as a detached copy. */
    @Override
    public INDArray leverageTo(ArrayType type, INDArray array) {
        INDArray out = super.leverageTo(type, array);
        return out == array ? out : remember(out);
    }

    private INDArray remember(INDArray a) {
        made.add(a);
        return a;
    }

    /** Frees the native memory of every array made since the last call (call when the pass is over). */
    void release() {
        for (INDArray a : made) {
            if (!a.wasClosed() && a.closeable()) {
                a.close();
            }
        }
        made.clear();
    }
}
