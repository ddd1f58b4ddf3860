package io.ds4j.config;

import io.ds4j.precision.Bf16Config;
import io.ds4j.precision.Fp16Config;
import io.ds4j.zero.config.ZeroConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A DeepSpeed JSON configuration judged as DeepSpeed 0.19.x judges it, with ds4j's documented differences (see the
 * package documentation). Reading validates every section; the batch triad is completed for a world size by
 * {@link #resolve(int)}. Instances are immutable.
 */
public final class DeepSpeedConfig {

    private final Map<String, Object> printed;
    private final BatchTriad batch;
    private final Optional<OptimizerSection> optimizer;
    private final Optional<SchedulerSection> scheduler;
    private final Fp16Config fp16;
    private final Bf16Config bf16;
    private final ZeroConfig zero;
    private final TopLevelOptions options;
    private final List<String> warnings;
    private final Set<String> autoPaths;

    private DeepSpeedConfig(DocumentReader r) {
        this.printed = Collections.unmodifiableMap(r.printed);
        this.batch = r.batch;
        this.optimizer = r.optimizer;
        this.scheduler = r.scheduler;
        this.fp16 = r.fp16;
        this.bf16 = r.bf16;
        this.zero = r.zero;
        this.options = r.options;
        this.warnings = r.ctx.warnings();
        this.autoPaths = r.ctx.autoPaths();
    }

    /**
     * Reads a configuration file.
     *
     * @throws DeepSpeedConfigException when the file is missing or unreadable, malformed, or invalid
     */
    public static DeepSpeedConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new DeepSpeedConfigException("", "cannot read " + file + ": no such file; check the path", e);
        } catch (IOException | RuntimeException e) {
            throw new DeepSpeedConfigException("", "cannot read " + file + ": " + e
                    + "; check that it is a readable UTF-8 text file", e);
        }
        return parse(text);
    }

    /**
     * Reads a configuration from JSON text.
     *
     * @throws DeepSpeedConfigException when the text is malformed or the configuration is invalid
     */
    public static DeepSpeedConfig parse(String json) {
        return new DeepSpeedConfig(DocumentReader.read(JsonTree.parseObject(json)));
    }

    /** The {@code optimizer} section; empty when absent (the network's own updater is the optimizer). */
    public Optional<OptimizerSection> optimizer() {
        return optimizer;
    }

    /** The {@code scheduler} section; empty when absent. */
    public Optional<SchedulerSection> scheduler() {
        return scheduler;
    }

    /** {@code fp16} with concrete values; {@code "auto"} keys take DeepSpeed's defaults (see {@link #autoPaths}). */
    public Fp16Config fp16() {
        return fp16;
    }

    /** {@code bf16} (or the legacy {@code bfloat16}) with concrete values; {@code "auto"} keys take defaults. */
    public Bf16Config bf16() {
        return bf16;
    }

    /** {@code zero_optimization} with concrete values (aliases and deprecated keys mapped to their new names). */
    public ZeroConfig zero() {
        return zero;
    }

    /** The top-level scalars ({@code gradient_clipping}, {@code steps_per_print}, ...). */
    public TopLevelOptions options() {
        return options;
    }

    /** {@code gradient_clipping}: the global gradient-norm bound, 0 disables (default 1.0; "auto" reads 1.0). */
    public double gradientClipping() {
        return options.gradientClipping();
    }

    /** One line per accepted-but-ignored section, deprecated key or unknown key: {@code <path>: <message>}. */
    public List<String> warnings() {
        return warnings;
    }

    /** JSON paths whose value is {@code "auto"}, e.g. {@code optimizer.params.lr}, in file order. */
    public Set<String> autoPaths() {
        return autoPaths;
    }

    /**
     * DeepSpeed's batch triad for {@code worldSize} data-parallel ranks; values derived from an {@code "auto"} stay
     * empty until {@link #resolve(int, int)}.
     *
     * @throws DeepSpeedConfigException naming the batch key that DeepSpeed's rules reject at this world size
     */
    public ResolvedBatch resolve(int worldSize) {
        return batch.resolve(worldSize);
    }

    /**
     * The complete triad once the iterator's batch size is known: an {@code "auto"} micro batch takes the
     * iterator's batch size, an {@code "auto"} train batch size or accumulation count is derived by DeepSpeed's
     * rules (accumulation 1 when nothing else fixes it).
     */
    public ResolvedBatch resolve(int worldSize, int iteratorBatchSize) {
        if (iteratorBatchSize < 1) {
            throw new DeepSpeedConfigException(BatchTriad.MICRO, "the iterator's batch size must be >= 1, got "
                    + iteratorBatchSize + "; use a DataSetIterator with a positive batch size");
        }
        return batch.withIteratorBatch(iteratorBatchSize).resolve(worldSize);
    }

    /**
     * The complete triad when one iterator feeds all ranks with whole global batches (ds4j's {@code ZeroTrainer}),
     * unlike {@link #resolve(int, int)}, which reads the iterator as one rank's loader of micro-batches: an
     * {@code "auto"} train batch size is the iterator's batch size, and the micro batch and accumulation count follow
     * by DeepSpeed's rules ({@code train = micro * accumulation * world}, accumulation 1 when nothing else fixes it).
     *
     * @param worldSize the number of ranks
     * @param globalBatch the iterator's batch size
     * @return the resolved triad
     * @throws DeepSpeedConfigException naming the batch key when the global batch cannot be split that way
     */
    public ResolvedBatch resolveGlobal(int worldSize, long globalBatch) {
        if (globalBatch < 1) {
            throw new DeepSpeedConfigException(BatchTriad.TRAIN, "the iterator's batch size must be >= 1, got "
                    + globalBatch + "; use an iterator with a positive batch size");
        }
        return batch.withGlobalBatch(globalBatch).resolve(worldSize);
    }

    /**
     * The configuration laid out like a DeepSpeed config file, every default filled in, the resolved triad at the
     * top, {@code "auto"} kept as {@code "auto"}: what {@code ds4j validate} prints.
     */
    public Map<String, Object> toMap(int worldSize) {
        ResolvedBatch b = resolve(worldSize);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(BatchTriad.TRAIN, ResolvedBatch.printed(b.trainBatchSize()));
        m.put(BatchTriad.MICRO, ResolvedBatch.printed(b.trainMicroBatchSizePerGpu()));
        m.put(BatchTriad.GAS, ResolvedBatch.printed(b.gradientAccumulationSteps()));
        m.putAll(printed);
        return Collections.unmodifiableMap(m);
    }

    /** {@link #toMap} as indented JSON. */
    public String toJson(int worldSize) {
        return JsonTree.write(toMap(worldSize));
    }

    /** Equal when every section reads the same (including "auto" markers) and the triad as written is the same. */
    @Override
    public boolean equals(Object o) {
        return o instanceof DeepSpeedConfig c && printed.equals(c.printed) && batch.equals(c.batch);
    }

    /** Consistent with {@link #equals}. */
    @Override
    public int hashCode() {
        return printed.hashCode() * 31 + batch.hashCode();
    }

    /** The sections as printed, without the triad (used to compare a printed config with its source). */
    Map<String, Object> sections() {
        return printed;
    }

    /** Everything one read produces, in the order {@link DeepSpeedConfig} prints it. */
    static final class DocumentReader {
        final ReadContext ctx = new ReadContext();
        final Map<String, Object> printed = new LinkedHashMap<>();
        BatchTriad batch;
        Optional<OptimizerSection> optimizer;
        Optional<SchedulerSection> scheduler;
        Fp16Config fp16;
        Bf16Config bf16;
        ZeroConfig zero;
        TopLevelOptions options;

        static DocumentReader read(Map<String, Object> root) {
            DocumentReader r = new DocumentReader();
            Section top = Section.of("", root, r.ctx, false);
            Map<String, Object> gated = new LinkedHashMap<>();
            FeatureGate.apply(top, gated);
            r.optimizer = OptimizerReader.read(root, r.ctx, r.printed);
            r.scheduler = SchedulerReader.read(root, r.ctx, r.printed);
            r.fp16 = PrecisionReader.fp16(root, r.ctx, r.printed);
            r.bf16 = PrecisionReader.bf16(root, r.ctx, r.printed);
            r.zero = ZeroReader.read(root, r.ctx, r.printed);
            r.options = TopLevelOptions.read(top);
            r.printed.putAll(top.out());
            OtherSections.read(root, r.ctx, r.printed);
            r.printed.putAll(gated);
            Set<String> before = new LinkedHashSet<>(top.out().keySet());
            top.know(FeatureGate.keys().toArray(new String[0]));
            top.know(OtherSections.KEYS.toArray(new String[0]));
            top.know(OptimizerReader.KEY, SchedulerReader.KEY, PrecisionReader.FP16, PrecisionReader.BF16,
                    PrecisionReader.BF16_LEGACY, ZeroReader.KEY, "allgather_size", BatchTriad.TRAIN,
                    BatchTriad.MICRO, BatchTriad.GAS);
            top.warnUnknown("DeepSpeed ignores unknown top-level keys silently");
            top.out().forEach((k, v) -> {
                if (!before.contains(k)) {
                    r.printed.put(k, v);
                }
            });
            CrossRules.check(r, root);
            r.batch = BatchTriad.read(top);
            return r;
        }
    }
}
