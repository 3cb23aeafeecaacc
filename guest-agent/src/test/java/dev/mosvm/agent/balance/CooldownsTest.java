package dev.mosvm.agent.balance;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CooldownsTest {
    @Test
    void aRefuserIsLeftOutForTheCoolingTimeOnly() {
        Cooldowns c = new Cooldowns(30_000);
        assertFalse(c.cooling("b", 0));
        c.refused("b", 1_000);
        assertTrue(c.cooling("b", 1_000));
        assertTrue(c.cooling("b", 30_999));
        assertFalse(c.cooling("b", 31_000), "back in the view 30 s after the refusal");
        assertFalse(c.cooling("c", 1_000), "only the refuser");
    }

    @Test
    void aNewRefusalStartsTheTimeAgain() {
        Cooldowns c = new Cooldowns(30_000);
        c.refused("b", 0);
        c.refused("b", 20_000);
        assertTrue(c.cooling("b", 40_000));
        assertFalse(c.cooling("b", 50_000));
    }
}
