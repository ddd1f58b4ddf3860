package io.ds4j.zero.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CollectiveTimeoutTest {
    @Test
    void deepSpeedsVariableIsInMinutesOursInSecondsAndOursWins() {
        assertEquals(Duration.ofMinutes(10), CollectiveTimeout.fromEnvironment(Map.of()));
        assertEquals(Duration.ofMinutes(3), CollectiveTimeout.fromEnvironment(Map.of("DEEPSPEED_TIMEOUT", "3")));
        assertEquals(Duration.ofSeconds(45), CollectiveTimeout.fromEnvironment(Map.of("DS4J_COLLECTIVE_TIMEOUT_S",
                " 45 ", "DEEPSPEED_TIMEOUT", "3")));
        assertEquals(Duration.ofMinutes(10), CollectiveTimeout.fromEnvironment(Map.of("DEEPSPEED_TIMEOUT", " ")));
    }

    @Test
    void aTimeoutThatIsNoWholePositiveNumberIsNamedWithItsUnit() {
        for (String bad : new String[] {"0", "-5", "1.5", "ten"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CollectiveTimeout.fromEnvironment(Map.of("DEEPSPEED_TIMEOUT", bad)));
            assertTrue(e.getMessage().startsWith("DEEPSPEED_TIMEOUT=" + bad + " is not allowed"), e.getMessage());
            assertTrue(e.getMessage().contains("in minutes"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> CollectiveTimeout.fromEnvironment(Map.of("DS4J_COLLECTIVE_TIMEOUT_S", bad)));
            assertTrue(e.getMessage().contains("in seconds"), e.getMessage());
        }
    }
}
