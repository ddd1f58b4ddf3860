package io.ds4j.zero.stage3;

import io.ds4j.zero.comm.Collectives;
import io.ds4j.zero.config.ZeroStage3Config;
import io.ds4j.zero.ledger.MemoryLedger;
import java.util.ArrayList;
import java.util.List;

/**
 * A model of modules with given parameter sizes, partitioned on one rank; full values are {@code id * 1000 + index}
 * so any rank can check a gather. The trace is forward (module order) then backward (reverse).
 */
final class ToyModel {
    final List<ParamSpec> specs = new ArrayList<>();
    final List<PartitionedParam> params = new ArrayList<>();
    final List<ModuleParams> modules = new ArrayList<>();
    final List<ModuleParams> trace = new ArrayList<>();
    final TransientBuffers buffers;

    /** @param sizes sizes[m] = the parameter sizes of module m */
    ToyModel(int[][] sizes, Collectives comm, MemoryLedger ledger) {
        buffers = new TransientBuffers(ledger);
        for (int m = 0; m < sizes.length; m++) {
            List<PartitionedParam> mine = new ArrayList<>();
            for (int n : sizes[m]) {
                ParamSpec s = new ParamSpec(specs.size(), "m" + m + ".p" + specs.size(), n);
                PartitionedParam p = new PartitionedParam(s, comm, ledger);
                p.loadShard(fullValues(s), 0);
                specs.add(s);
                params.add(p);
                mine.add(p);
            }
            modules.add(new ModuleParams(m, "module " + m, mine));
        }
        trace.addAll(modules);
        for (int m = modules.size() - 1; m >= 0; m--) {
            trace.add(modules.get(m));
        }
    }

    static float[] fullValues(ParamSpec s) {
        float[] v = new float[s.numel()];
        for (int i = 0; i < v.length; i++) {
            v[i] = s.id() * 1000 + i;
        }
        return v;
    }

    ParamCoordinator coordinator(Collectives comm, ZeroStage3Config knobs) {
        Persistence.mark(params, knobs.paramPersistenceThreshold(), knobs.modelPersistenceThreshold());
        return new ParamCoordinator(trace, comm, buffers, knobs);
    }

    static ZeroStage3Config knobs(long bucket, long threshold, long maxLive, long maxReuse) {
        return new ZeroStage3Config(bucket, threshold, Long.MAX_VALUE, maxLive, maxReuse, false, 0, false, false,
                1_000_000_000L);
    }

    long largestModule() {
        return modules.stream().mapToLong(ModuleParams::numel).max().orElse(0);
    }

    long largestParam() {
        return specs.stream().mapToLong(ParamSpec::numel).max().orElse(0);
    }
}
