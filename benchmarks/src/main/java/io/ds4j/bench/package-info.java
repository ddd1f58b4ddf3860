/**
 * JMH benchmarks (not run by the test command). Build and run:
 * <pre>
 *   mvn -B -pl benchmarks -am package -DskipTests
 *   java -jar benchmarks/target/benchmarks.jar KernelBenchmark -p elements=50000000
 * </pre>
 * {@link io.ds4j.bench.KernelBenchmark} times one step of each fused optimizer kernel and a read-modify-write loop of
 * the same traffic (the bandwidth limit); the throughput in ops/s times {@code elements} gives elements/s.
 * {@link io.ds4j.bench.CollectivesBenchmark} times the in-process collectives of one training step.
 */
package io.ds4j.bench;
