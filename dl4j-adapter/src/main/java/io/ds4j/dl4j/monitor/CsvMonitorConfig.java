package io.ds4j.dl4j.monitor;

import io.ds4j.config.DeepSpeedConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * DeepSpeed's {@code csv_monitor} section.
 *
 * @param enabled    {@code enabled} (default false)
 * @param outputPath {@code output_path} (default {@code ""}: the working directory, as in DeepSpeed)
 * @param jobName    {@code job_name} (default {@code "DeepSpeedJobName"}): the directory under the output path
 */
public record CsvMonitorConfig(boolean enabled, String outputPath, String jobName) {
    /** DeepSpeed's default job name. */
    public static final String DEFAULT_JOB_NAME = "DeepSpeedJobName";

    /** Checks for null and an unusable job name. */
    public CsvMonitorConfig {
        Objects.requireNonNull(outputPath, "csv_monitor.output_path");
        Objects.requireNonNull(jobName, "csv_monitor.job_name");
        if (enabled && jobName.isBlank()) {
            throw new IllegalArgumentException("csv_monitor.job_name must not be blank when csv_monitor.enabled is "
                    + "true, got \"" + jobName + "\"; it names the directory the CSV files go to (default \""
                    + DEFAULT_JOB_NAME + "\")");
        }
    }

    /** The disabled default section. */
    public static CsvMonitorConfig disabled() {
        return new CsvMonitorConfig(false, "", DEFAULT_JOB_NAME);
    }

    /** An enabled monitor writing under {@code outputPath/jobName}. */
    public static CsvMonitorConfig of(Path outputPath, String jobName) {
        return new CsvMonitorConfig(true, outputPath.toString(), jobName);
    }

    /** DeepSpeed's log directory: {@code os.path.join(output_path, job_name)}. */
    public Path logDir() {
        return Path.of(outputPath).resolve(jobName);
    }

    /**
     * The section of a parsed configuration (already validated by {@link DeepSpeedConfig}: strict keys and types).
     *
     * @param worldSize the world size the configuration is resolved for (the configuration's printed form needs it)
     */
    public static CsvMonitorConfig from(DeepSpeedConfig config, int worldSize) {
        Object section = config.toMap(worldSize).get("csv_monitor");
        return section instanceof Map<?, ?> m ? fromSection(m) : disabled();
    }

    /**
     * The section from its printed map ({@code enabled}, {@code output_path}, {@code job_name}); an absent key or
     * {@code "auto"} (which DeepSpeed's pydantic model drops) takes the default.
     *
     * @throws IllegalArgumentException naming the key when a value has the wrong type
     */
    public static CsvMonitorConfig fromSection(Map<?, ?> section) {
        Object enabled = value(section, "enabled", Boolean.FALSE);
        if (!(enabled instanceof Boolean e)) {
            throw new IllegalArgumentException("csv_monitor.enabled must be true or false, got " + enabled);
        }
        return new CsvMonitorConfig(e, string(section, "output_path", ""),
                string(section, "job_name", DEFAULT_JOB_NAME));
    }

    private static Object value(Map<?, ?> section, String key, Object dflt) {
        Object v = section.get(key);
        return v == null || "auto".equals(v) ? dflt : v;
    }

    private static String string(Map<?, ?> section, String key, String dflt) {
        Object v = value(section, key, dflt);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("csv_monitor." + key + " must be a string, got " + v
                    + "; write it in quotes");
        }
        return s;
    }
}
