package io.ds4j.spark;

import java.io.Serializable;

/**
 * What rank 0 sends back to the driver: the trained network as ModelSerializer bytes, and what was trained.
 *
 * @param graph whether the bytes hold a ComputationGraph (else a MultiLayerNetwork)
 * @param model the ModelSerializer bytes of rank 0's network after {@code fit}
 * @param stepsPerEpoch optimizer steps each epoch took
 * @param droppedMicroBatches micro-batches left out (over all ranks) so that every rank took the same steps
 */
record RankResult(boolean graph, byte[] model, long stepsPerEpoch, long droppedMicroBatches) implements Serializable {
}
