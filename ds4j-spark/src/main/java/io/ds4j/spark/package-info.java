/**
 * ds4j on Apache Spark: {@link io.ds4j.spark.SparkZeroTrainer} runs a ZeRO job as one barrier stage with one task per
 * rank, as Spark's TorchDistributor runs PyTorch. Spark starts the ranks, tells them their rank (the partition id),
 * the world size (the number of tasks) and where rank 0 listens (task 0's host and a port shared through
 * {@code BarrierTaskContext.allGather}); from there the ranks are those of {@code ZeroTrainer.Builder#distributed}:
 * a rendezvous, then tensors over UCX. Spark is a {@code provided} dependency: the cluster supplies it.
 */
package io.ds4j.spark;
