package io.ds4j.zero.stage3;

import java.util.Comparator;
import java.util.List;

/**
 * A module (DL4J layer or graph vertex) and the parameters it needs gathered while it runs, in parameter-id order.
 *
 * @param id     unique in a model
 * @param name   for messages
 * @param params the module's parameters (may be empty: a module without parameters still occupies a trace step)
 */
public record ModuleParams(int id, String name, List<PartitionedParam> params) {
    /** Sorts the parameters by id and copies the list. */
    public ModuleParams {
        params = params.stream().sorted(Comparator.comparingInt(p -> p.spec().id())).toList();
    }

    /** Elements of all its parameters. */
    public long numel() {
        return params.stream().mapToLong(p -> p.spec().numel()).sum();
    }
}
