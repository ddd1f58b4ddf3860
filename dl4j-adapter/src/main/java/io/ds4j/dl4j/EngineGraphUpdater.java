package io.ds4j.dl4j;

import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The updater {@link DeepSpeed#initialize} installs into a {@link ComputationGraph}: DL4J's updater state and
 * serialisation are kept, the step is ds4j's ({@link LocalStep}).
 */
final class EngineGraphUpdater extends ComputationGraphUpdater {

    private static final long serialVersionUID = 1L;
    private final transient LocalStep step;

    EngineGraphUpdater(ComputationGraph net, INDArray state, EngineOptions options,
                            EnginePrecision precision) {
        super(net, state);
        this.step = LocalStep.create(net, getFlattenedGradientsView(), getStateViewArray(), options,
                precision);
    }

    @Override
    public synchronized void update(Gradient gradient, int iteration, int epoch, int batchSize,
                                    LayerWorkspaceMgr workspaceMgr) {
        step.run(gradient.gradient(), iteration, epoch, batchSize);
    }

    LocalStep step() {
        return step;
    }
}
