package io.ds4j.zero.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.ds4j.zero.comm.InProcessCollectives;
import io.ds4j.zero.comm.Ranks;
import io.ds4j.zero.kernels.FusedOptimizer;
import io.ds4j.zero.kernels.HeapFp32;
import io.ds4j.zero.kernels.KernelPool;
import io.ds4j.zero.ledger.MemoryLedger;
import io.ds4j.zero.shard.Range;
import io.ds4j.zero.shard.ShardLayout;
import io.ds4j.zero.step.ReducedGradient;
import io.ds4j.zero.step.ReductionScaling;
import io.ds4j.zero.step.ZeroStep;

/**
 * Stage 1 and stage 2 on 2 ranks ({@link InProcessCollectives}), 4 steps of 2 micro-batches, with the optimizer
 * state of each rank's shard in each kind of store: every rank ends with parameters, and every rank's store with a
 * master and state, bit-identical to the run without offload. The reduction is the same in every run (same stage,
 * deterministic collectives), and the kernels are element-wise, hence exact equality.
 */
class StageOffloadParityTest {
    private static final int LENGTH = 517; // odd: stage padding exercised
    private static final int STEPS = 4;
    private static final int MICRO = 2;
    private static KernelPool pool;

    @TempDir
    Path nvme;

    @BeforeAll
    static void startPool() {
        pool = new KernelPool(1);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    /** What one rank ends with: the flat parameters, its master and its state vectors. */
    record RankEnd(float[] params, float[] master, float[] state0) {
    }

    private List<RankEnd> train(int stage, OffloadFixture.Kind kind, FusedOptimizer opt) {
        ShardLayout layout = new ShardLayout(LENGTH, 2, 2);
        float[] init = OffloadFixture.random(7, LENGTH, 1f);
        List<InProcessCollectives> comms = InProcessCollectives.create(2, Duration.ofSeconds(30));
        return Ranks.run(comms, comm -> {
            ZeroStep step = ZeroStep.create(stage, comm, layout, new ZeroStep.Buckets(50, 70),
                    ReductionScaling.DEFAULT);
            Range own = step.updateRange();
            int n = (int) own.length();
            float[] params = new float[(int) layout.paddedLength()];
            System.arraycopy(init, 0, params, 0, LENGTH);
            StoreRequest req = new StoreRequest(comm.rank(), n, opt.stateWords(), 40, new MemoryLedger(comm.rank()));
            try (OptimizerStateStore store = kind.open(nvme, req)) {
                store.initialize(new HeapFp32(params, (int) own.offset(), n));
                for (int t = 1; t <= STEPS; t++) {
                    for (int m = 0; m < MICRO; m++) {
                        float[] g = new float[(int) layout.paddedLength()];
                        System.arraycopy(OffloadFixture.random(1000L * t + 10L * comm.rank() + m, LENGTH, 0.1f), 0,
                                g, 0, LENGTH);
                        step.accumulate(g);
                    }
                    ReducedGradient red = step.reduce();
                    store.step(opt, new StepInput(new HeapFp32(red.data(), red.offset(), red.length()),
                            OffloadFixture.args(t), new HeapFp32(params, (int) own.offset(), n)), pool);
                    step.gather(params);
                }
                float[] master = new float[n];
                float[] state0 = new float[n];
                store.readMaster(master, 0);
                store.readState(0, state0, 0);
                return new RankEnd(params, master, state0);
            }
        });
    }

    @ParameterizedTest(name = "stage {0}, {1} on {2}")
    @CsvSource({"1,ADAMW,CPU_HEAP", "1,ADAMW,NVME_PIPELINED", "1,SGD_MOMENTUM,PARTIAL_NVME", "1,ADAM,CPU_DIRECT",
            "2,ADAMW,CPU_HEAP", "2,ADAMW,NVME_PIPELINED", "2,SGD_MOMENTUM,PARTIAL_CPU", "2,ADAM,NVME"})
    void offloadOnAndOffGiveBitIdenticalTraining(int stage, OffloadFixture.Optimizer o, OffloadFixture.Kind kind) {
        List<RankEnd> off = train(stage, OffloadFixture.Kind.DEVICE, o.kernel);
        List<RankEnd> on = train(stage, kind, o.kernel);
        assertEquals(2, on.size());
        for (int r = 0; r < 2; r++) {
            assertArrayEquals(off.get(r).params(), on.get(r).params(), "rank " + r + " parameters");
            assertArrayEquals(off.get(r).master(), on.get(r).master(), "rank " + r + " master");
            assertArrayEquals(off.get(r).state0(), on.get(r).state0(), "rank " + r + " state 0");
        }
        assertArrayEquals(on.get(0).params(), on.get(1).params(), "both ranks hold the same parameters");
        float[] init = OffloadFixture.random(7, LENGTH, 1f);
        assertEquals(false, java.util.Arrays.equals(init, java.util.Arrays.copyOf(on.get(0).params(), LENGTH)),
                "training changed the parameters");
    }
}
