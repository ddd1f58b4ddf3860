package io.ds4j.dl4j;

import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The updater {@link DeepSpeed#initialize} installs into a {@link MultiLayerNetwork}: DL4J's updater state and
 * serialisation are kept, the step is ds4j's ({@link LocalStep}).
 */
final class EngineMultiLayerUpdater extends MultiLayerUpdater {

    private static final long serialVersionUID = 1L;
    private final transient LocalStep step;

    EngineMultiLayerUpdater(MultiLayerNetwork net, INDArray state, EngineOptions options,
                            EnginePrecision precision) {
        super(net, state);
        this.step = LocalStep.create(net, getFlattenedGradientsView(), getStateViewArray(), options,
                precision);
    }

    @Override
    public void update(Trainable layer, Gradient gradient, int iteration, int epoch, int batchSize,
                       LayerWorkspaceMgr workspaceMgr) {
        update(gradient, iteration, epoch, batchSize, workspaceMgr);
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
