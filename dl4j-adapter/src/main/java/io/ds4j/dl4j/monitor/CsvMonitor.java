package io.ds4j.dl4j.monitor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * DeepSpeed's CSV monitor: one file per event name under {@code output_path/job_name/}, each starting with the
 * header {@code step,<last part of the event name>} and then one {@code step,value} row per event (see the package
 * documentation for the exact layout and the one difference from DeepSpeed).
 *
 * <p>Every row is appended with a single write to the file, with no buffering in between, so each row reaches the
 * operating system as soon as it is written and a crash never leaves half a line from ds4j's side; the header of a
 * new file goes out in the same write as its first row. A disabled monitor (section disabled, or a rank other than
 * 0: DeepSpeed writes from global rank 0 only) accepts every call and writes nothing.
 *
 * <p>Call order: {@link #open}, then {@link #writeStep} (or {@link #write}) after each optimizer step, then
 * {@link #close}. Thread-safe (calls are serialized).
 */
public final class CsvMonitor implements AutoCloseable {
    /** The training loss (DeepSpeed's pipeline engine name). */
    public static final String TRAIN_LOSS = "Train/Samples/train_loss";
    /** The learning rate of the step. */
    public static final String LR = "Train/Samples/lr";
    /** The loss scale (written only with fp16, as DeepSpeed does). */
    public static final String LOSS_SCALE = "Train/Samples/loss_scale";
    /** 1 for a step skipped because of overflow, else 0 (ds4j's addition). */
    public static final String SKIPPED_STEP = "Train/Samples/skipped_step";

    private static final String EOL = "\r\n";   // Python's csv.writer default line terminator

    private final Path logDir;
    private final Map<String, FileChannel> files = new LinkedHashMap<>();
    private boolean closed;

    private CsvMonitor(Path logDir) {
        this.logDir = logDir;
    }

    /**
     * Opens the monitor for global rank {@code rank}: creates {@code output_path/job_name/} when the section is
     * enabled and {@code rank == 0}; otherwise returns a monitor that writes nothing.
     *
     * @throws UncheckedIOException naming the directory when it cannot be created
     */
    public static CsvMonitor open(CsvMonitorConfig config, int rank) {
        Objects.requireNonNull(config, "config");
        if (!config.enabled() || rank != 0) {
            return new CsvMonitor(null);
        }
        Path dir = config.logDir();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("csv_monitor: cannot create the log directory " + dir.toAbsolutePath()
                    + " (csv_monitor.output_path / csv_monitor.job_name); choose a writable output_path", e);
        }
        return new CsvMonitor(dir);
    }

    /** True when this monitor writes files. */
    public boolean enabled() {
        return logDir != null;
    }

    /** The directory the files go to, or {@code null} when disabled. */
    public Path logDir() {
        return logDir;
    }

    /**
     * The file an event name is written to (DeepSpeed's sanitizing: {@code '/'} and {@code ' '} become {@code '_'}).
     */
    public static String fileName(String eventName) {
        return eventName.replace('/', '_').replace(' ', '_') + ".csv";
    }

    /**
     * Writes the events of one step in DeepSpeed's order: train loss, lr, loss scale (when present), then the
     * skipped-step flag, all at {@code record.globalSamples()}.
     */
    public synchronized void writeStep(StepRecord record) {
        long step = record.globalSamples();
        write(TRAIN_LOSS, record.trainLoss(), step);
        write(LR, record.lr(), step);
        if (record.lossScale().isPresent()) {
            write(LOSS_SCALE, record.lossScale().getAsDouble(), step);
        }
        write(SKIPPED_STEP, record.skipped() ? 1L : 0L, step);
    }

    /** Appends {@code step,value} to the event's file, the value written as Python writes a float. */
    public synchronized void write(String eventName, double value, long step) {
        append(eventName, PythonFloat.repr(value), step);
    }

    /** Appends {@code step,value} to the event's file, the value written as an integer. */
    public synchronized void write(String eventName, long value, long step) {
        append(eventName, Long.toString(value), step);
    }

    private void append(String eventName, String value, long step) {
        Objects.requireNonNull(eventName, "eventName");
        if (closed) {
            throw new IllegalStateException("csv_monitor: write of " + eventName + " after close()");
        }
        if (logDir == null) {
            return;
        }
        Path file = logDir.resolve(fileName(eventName));
        try {
            FileChannel ch = files.get(eventName);
            StringBuilder out = new StringBuilder();
            if (ch == null) {
                ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND);
                files.put(eventName, ch);
                if (ch.size() == 0) {
                    out.append("step,").append(field(header(eventName))).append(EOL);
                }
            }
            out.append(step).append(',').append(value).append(EOL);
            ByteBuffer bytes = ByteBuffer.wrap(out.toString().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("csv_monitor: cannot write " + file.toAbsolutePath(), e);
        }
    }

    /** DeepSpeed's header: the part of the event name after the last {@code '/'}. */
    static String header(String eventName) {
        return eventName.substring(eventName.lastIndexOf('/') + 1);
    }

    /** Python csv's minimal quoting: a field with a comma, quote or line break is quoted, quotes doubled. */
    static String field(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** Closes every file; later writes throw. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        IOException first = null;
        for (FileChannel ch : files.values()) {
            try {
                ch.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        files.clear();
        if (first != null) {
            throw new UncheckedIOException("csv_monitor: cannot close a file in " + logDir, first);
        }
    }
}
