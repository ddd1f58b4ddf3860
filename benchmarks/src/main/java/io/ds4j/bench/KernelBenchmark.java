package io.ds4j.bench;

import java.util.concurrent.TimeUnit;

import io.ds4j.zero.kernels.Betas;
import io.ds4j.zero.kernels.FusedAdagrad;
import io.ds4j.zero.kernels.FusedAdam;
import io.ds4j.zero.kernels.FusedLamb;
import io.ds4j.zero.kernels.FusedLion;
import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.FusedSgd;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.kernels.OptimizerBuffers;
import io.ds4j.zero.kernels.StepArgs;
import io.ds4j.zero.kernels.VectorStorage;
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
 * One optimizer step of a fused kernel over {@code elements} fp32 heap elements (gradients unscaled on the fly by
 * 1/1024), and the read-modify-write loop with Adam's traffic (4 reads, 3 writes per element) as the limit.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
public class KernelBenchmark {
    /** Elements per step. */
    @Param({"10000000"})
    public int elements;

    /** The kernel: adam, sgd, adagrad, lion or lamb. */
    @Param({"adam", "sgd", "adagrad", "lion", "lamb"})
    public String kernel;

    /** Kernel threads; 0 means available processors. */
    @Param({"0"})
    public int threads;

    private float[] g;
    private float[] p;
    private float[] m;
    private float[] v;
    private KernelPool pool;
    private FusedOptimizer opt;
    private OptimizerBuffers buffers;
    private long step;

    /** Allocates the vectors and the pool. */
    @Setup(Level.Trial)
    public void setUp() {
        g = new float[elements];
        p = new float[elements];
        m = new float[elements];
        v = new float[elements];
        for (int i = 0; i < elements; i++) {
            g[i] = ((i * 2654435761L) % 2001 - 1000) * 1e-3f * 1024;
            p[i] = (i % 1000) * 1e-3f;
        }
        pool = threads == 0 ? KernelPool.withAvailableProcessors() : new KernelPool(threads);
        opt = switch (kernel) {
            case "adam" -> FusedAdam.deepSpeedDefaults();
            case "sgd" -> new FusedSgd(0.9f, 0f, false, 0f);
            case "adagrad" -> new FusedAdagrad(1e-10f, 0f);
            case "lion" -> new FusedLion(new Betas(0.9f, 0.99f), 0f);
            case "lamb" -> FusedLamb.deepSpeedDefaults();
            default -> throw new IllegalArgumentException("kernel must be adam, sgd, adagrad, lion or lamb, got "
                    + kernel);
        };
        buffers = opt.stateWords() == 2
                ? OptimizerBuffers.of(VectorStorage.of(g), VectorStorage.of(p), VectorStorage.of(m),
                        VectorStorage.of(v))
                : opt.stateWords() == 1
                        ? OptimizerBuffers.of(VectorStorage.of(g), VectorStorage.of(p), VectorStorage.of(m))
                        : OptimizerBuffers.of(VectorStorage.of(g), VectorStorage.of(p));
    }

    /** Stops the pool. */
    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    /** One optimizer step. */
    @Benchmark
    public void step() {
        opt.step(buffers, new StepArgs(++step, 1e-3f, 1f / 1024), pool);
    }

    /** The read-modify-write loop with Adam's traffic: x,y,z = 0.999 * (x,y,z) + g. */
    @Benchmark
    public void readModifyWrite() {
        pool.run(0, elements, 0, (from, to, acc) -> {
            for (int i = (int) from; i < (int) to; i++) {
                float gi = g[i];
                p[i] = 0.999f * p[i] + gi;
                m[i] = 0.999f * m[i] + gi;
                v[i] = 0.999f * v[i] + gi;
            }
        });
    }
}
