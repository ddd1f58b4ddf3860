package io.ds4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ds4j.zero.config.AdagradConfig;
import io.ds4j.zero.config.AdamConfig;
import io.ds4j.zero.config.LambConfig;
import io.ds4j.zero.config.LionConfig;
import io.ds4j.zero.config.OptimizerConfig;
import io.ds4j.zero.config.SgdConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Concrete optimizer hyper-parameters: DeepSpeed's defaults per class, "auto" from the caller. */
class OptimizerConfigTest {
    private static OptimizerConfig of(String optimizer, Map<String, Object> autos) {
        return DeepSpeedConfig.parse("{\"train_batch_size\": 8, \"optimizer\": " + optimizer + "}").optimizer()
                .orElseThrow().toConfig(autos);
    }

    @Test
    void adamDefaultsToAdamWModeAsDeepSpeedDoes() {
        // engine.py: effective_adam_w_mode = name == "adamw" or adam_w_mode, ADAM_W_MODE_DEFAULT = True
        assertEquals(new AdamConfig(1e-3, 0.9, 0.999, 1e-8, 0.0, true, true), of("{\"type\": \"Adam\"}", Map.of()));
        assertEquals(false, ((AdamConfig) of("{\"type\": \"Adam\", \"params\": {\"adam_w_mode\": false}}", Map.of()))
                .adamWMode());
        assertEquals(true, ((AdamConfig) of("{\"type\": \"AdamW\", \"params\": {\"adam_w_mode\": false}}",
                Map.of())).adamWMode());
    }

    @Test
    void givenValuesWinAndAutosComeFromTheCaller() {
        OptimizerConfig c = of("{\"type\": \"AdamW\", \"params\": {\"lr\": \"auto\", \"betas\": \"auto\", "
                + "\"eps\": 1e-6, \"weight_decay\": \"auto\", \"bias_correction\": false}}",
                Map.of("lr", 5e-4, "betas", List.of(0.8, 0.99), "weight_decay", 0.1));
        assertEquals(new AdamConfig(5e-4, 0.8, 0.99, 1e-6, 0.1, true, false), c);
    }

    @Test
    void otherTypesTakeTheirClassDefaults() {
        assertEquals(new SgdConfig(0.1, 0.9, 0.0, 0.0, true),
                of("{\"type\": \"SGD\", \"params\": {\"lr\": 0.1, \"momentum\": 0.9, \"nesterov\": true}}", Map.of()));
        assertEquals(new AdagradConfig(1e-2, 0.0, 0.0, 0.0, 1e-10), of("{\"type\": \"Adagrad\"}", Map.of()));
        assertEquals(new LambConfig(2e-3, 0.9, 0.999, 1e-8, 0.01, false, 0.3, 0.01, false),
                of("{\"type\": \"Lamb\", \"params\": {\"lr\": 0.002, \"weight_decay\": 0.01, "
                        + "\"bias_correction\": false, \"max_coeff\": 0.3, \"min_coeff\": 0.01}}", Map.of()));
        assertEquals(new LionConfig(1e-4, 0.9, 0.999, 0.0), of("{\"type\": \"Lion\", \"params\": {\"lr\": 1e-4}}",
                Map.of()));
    }

    @Test
    void anAutoWithoutValueNamesItsPath() {
        DeepSpeedConfigException e = assertThrows(DeepSpeedConfigException.class,
                () -> of("{\"type\": \"Adam\", \"params\": {\"lr\": \"auto\"}}", Map.of()));
        assertEquals("optimizer.params.lr", e.path());
        DeepSpeedConfigException f = assertThrows(DeepSpeedConfigException.class,
                () -> of("{\"type\": \"Adam\", \"params\": {\"betas\": \"auto\"}}",
                        Map.of("betas", List.of(0.9, 2.0))));
        assertEquals("optimizer.params.betas[1]", f.path());
    }
}
