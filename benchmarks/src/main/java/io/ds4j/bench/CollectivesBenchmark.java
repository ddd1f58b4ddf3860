package io.ds4j.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.comm.InProcessCollectives;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link InProcessCollectives} with every rank on its own thread: one all-reduce of the flat vector (stage 0/1), and
 * one reduce-scatter plus all-gather of it (stage 2), per invocation. The benchmark thread is rank 0.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class CollectivesBenchmark {
    /** Ranks. */
    @Param({"2", "4"})
    public int worldSize;

    /** Elements of the flat vector (a multiple of every world size above). */
    @Param({"4000000"})
    public int elements;

    private List<InProcessCollectives> group;
    private float[][] flat;
    private float[][] shard;
    private ExecutorService others;

    /** Creates the group, the buffers and the threads of ranks 1..N-1. */
    @Setup(Level.Trial)
    public void setUp() {
        group = InProcessCollectives.create(worldSize, Duration.ofMinutes(5));
        flat = new float[worldSize][elements];
        shard = new float[worldSize][elements / worldSize];
        for (float[] f : flat) {
            java.util.Arrays.fill(f, 1e-3f);
        }
        others = Executors.newFixedThreadPool(Math.max(1, worldSize - 1));
    }

    /** Stops the rank threads. */
    @TearDown(Level.Trial)
    public void tearDown() {
        others.shutdownNow();
    }

    /** All-reduce of the whole flat vector on every rank. */
    @Benchmark
    public void allReduce() {
        onAllRanks(c -> c.allReduceSum(flat[c.rank()], 0, elements));
    }

    /** Reduce-scatter of the flat vector into shards, then all-gather back. */
    @Benchmark
    public void reduceScatterAllGather() {
        int len = elements / worldSize;
        onAllRanks(c -> {
            c.reduceScatterSum(flat[c.rank()], 0, len, shard[c.rank()], 0, len);
            c.allGather(shard[c.rank()], 0, flat[c.rank()], 0, len, len);
        });
    }

    private void onAllRanks(Consumer<Collectives> body) {
        List<Future<?>> futures = new ArrayList<>();
        for (int r = 1; r < worldSize; r++) {
            Collectives c = group.get(r);
            futures.add(others.submit(() -> body.accept(c)));
        }
        body.accept(group.get(0));
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
    }
}
