package io.ds4j.zero.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link FusedSgd} against a double reference of {@code torch.optim.SGD}. Tolerance 2e-6 relative (absolute below
 * 1): per step 4 fp32 roundings of the update (<= 4 * 6e-8 of lr * |d| <= 1e-2 * ~10 with the momentum buffer) plus
 * one of the parameter (6e-8), 20 steps: <= 20 * (2.4e-9 + 6e-8) ~ 1.3e-6; the buffer itself (<= ~10) carries a relative
 * error of a few 1e-7.
 */
class FusedSgdTest {
    @ParameterizedTest(name = "momentum={0} dampening={1} nesterov={2} weightDecay={3}")
    @CsvSource({"0,0,false,0", "0,0,false,0.01", "0.9,0,false,0", "0.9,0.1,false,0.01", "0.9,0,true,0",
        "0.9,0,true,0.01"})
    void matchesTorchSgd(float momentum, float dampening, boolean nesterov, float wd) {
        FusedSgd opt = new FusedSgd(momentum, dampening, nesterov, wd);
        KernelChecks.verify(opt, (p, s, g, t, lr) -> {
            for (int i = 0; i < p.length; i++) {
                double d = g[i] + wd * p[i];
                if (momentum != 0) {
                    s[0][i] = t == 1 ? d : momentum * s[0][i] + (1 - dampening) * d;
                    d = nesterov ? d + momentum * s[0][i] : s[0][i];
                }
                p[i] -= lr * d;
            }
        }, 1e-2f, 0.0625f, 2e-6, true);
    }

    @Test
    void validation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FusedSgd(0.9f, 0.1f, true, 0f));
        assertEquals("optimizer.params.nesterov=true requires momentum > 0 and dampening = 0, got momentum 0.9,"
                + " dampening 0.1", e.getMessage());
        assertEquals(0, new FusedSgd(0, 0, false, 0).stateWords());
        assertEquals(1, new FusedSgd(0.5f, 0, false, 0).stateWords());
    }
}
