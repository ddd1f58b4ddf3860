package io.ds4j.dl4j.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ds4j.config.DeepSpeedConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CsvMonitor} file layout and contents, byte for byte. The expected text is what DeepSpeed 0.19.6's
 * {@code csvMonitor.write_events} produces for the same events: {@code csv.writer} rows ending in {@code \r\n},
 * header {@code step,<last name part>} on first write, values as Python's {@code repr}.
 */
class CsvMonitorTest {
    @TempDir
    Path dir;

    private String read(String file) throws IOException {
        return Files.readString(dir.resolve("job").resolve(file), StandardCharsets.UTF_8);
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("job"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesOneFilePerEventLikeDeepSpeed() throws IOException {
        try (CsvMonitor m = CsvMonitor.open(CsvMonitorConfig.of(dir, "job"), 0)) {
            assertTrue(m.enabled());
            assertEquals(dir.resolve("job"), m.logDir());
            m.writeStep(new StepRecord(128, 0.6931471805599453, 0.001, OptionalDouble.of(65536), true));
            m.writeStep(new StepRecord(256, 0.5, 1e-5, OptionalDouble.of(32768), false));
        }
        assertEquals(List.of("Train_Samples_loss_scale.csv", "Train_Samples_lr.csv",
                "Train_Samples_skipped_step.csv", "Train_Samples_train_loss.csv"), files());
        assertEquals("step,train_loss\r\n128,0.6931471805599453\r\n256,0.5\r\n", read("Train_Samples_train_loss.csv"));
        assertEquals("step,lr\r\n128,0.001\r\n256,1e-05\r\n", read("Train_Samples_lr.csv"));
        assertEquals("step,loss_scale\r\n128,65536.0\r\n256,32768.0\r\n", read("Train_Samples_loss_scale.csv"));
        assertEquals("step,skipped_step\r\n128,1\r\n256,0\r\n", read("Train_Samples_skipped_step.csv"));
    }

    @Test
    void noLossScaleFileWithoutFp16AndEveryWriteIsAWholeLine() throws IOException {
        try (CsvMonitor m = CsvMonitor.open(CsvMonitorConfig.of(dir, "job"), 0)) {
            m.writeStep(new StepRecord(32, 2.25, 0.01, OptionalDouble.empty(), false));
            // visible before close: nothing is buffered in ds4j
            assertEquals("step,lr\r\n32,0.01\r\n", read("Train_Samples_lr.csv"));
            m.write("Eval/my metric, v2", 3L, 32);
            m.write("plain", Double.NaN, 33);
        }
        assertFalse(files().contains("Train_Samples_loss_scale.csv"));
        // name sanitized as DeepSpeed does; a header with a comma quoted as Python's csv module does
        assertEquals("step,\"my metric, v2\"\r\n32,3\r\n", read("Eval_my_metric,_v2.csv"));
        assertEquals("step,plain\r\n33,nan\r\n", read("plain.csv"));
    }

    @Test
    void resumingAppendsWithoutASecondHeader() throws IOException {
        CsvMonitorConfig c = CsvMonitorConfig.of(dir, "job");
        try (CsvMonitor m = CsvMonitor.open(c, 0)) {
            m.write(CsvMonitor.LR, 0.5, 8);
        }
        try (CsvMonitor m = CsvMonitor.open(c, 0)) {
            m.write(CsvMonitor.LR, 0.25, 16);
        }
        assertEquals("step,lr\r\n8,0.5\r\n16,0.25\r\n", read("Train_Samples_lr.csv"));
    }

    @Test
    void disabledOrNotRankZeroWritesNothing() throws IOException {
        Path out = dir.resolve("out");
        try (CsvMonitor m = CsvMonitor.open(new CsvMonitorConfig(false, out.toString(), "job"), 0)) {
            assertFalse(m.enabled());
            m.writeStep(new StepRecord(1, 1, 1, OptionalDouble.of(1), false));
        }
        try (CsvMonitor m = CsvMonitor.open(CsvMonitorConfig.of(out, "job"), 1)) {
            m.write(CsvMonitor.LR, 1.0, 1);
        }
        assertFalse(Files.exists(out));
    }

    @Test
    void closeIsFinal() {
        CsvMonitor m = CsvMonitor.open(CsvMonitorConfig.of(dir, "job"), 0);
        m.close();
        m.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.write(CsvMonitor.LR, 1.0, 1));
        assertEquals("csv_monitor: write of Train/Samples/lr after close()", e.getMessage());
    }

    @Test
    void configFromDeepSpeedJson() {
        DeepSpeedConfig config = DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"csv_monitor\": {\"enabled\": true,"
                + " \"output_path\": \"/tmp/runs\", \"job_name\": \"mnist\"}}");
        CsvMonitorConfig c = CsvMonitorConfig.from(config, 1);
        assertEquals(new CsvMonitorConfig(true, "/tmp/runs", "mnist"), c);
        assertEquals(Path.of("/tmp/runs/mnist"), c.logDir());
        CsvMonitorConfig dflt = CsvMonitorConfig.from(DeepSpeedConfig.parse("{\"train_batch_size\": 8}"), 1);
        assertEquals(CsvMonitorConfig.disabled(), dflt);
        assertEquals(Path.of("DeepSpeedJobName"), dflt.logDir());   // os.path.join("", job_name)
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CsvMonitorConfig.fromSection(Map.of("enabled", true, "job_name", 7)));
        assertEquals("csv_monitor.job_name must be a string, got 7; write it in quotes", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CsvMonitorConfig(true, "", " "));
    }
}
