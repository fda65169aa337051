package dev.strait.gateway.ike.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.gateway.ike.sa.VolumeLimits.Verdict;
import org.junit.jupiter.api.Test;

class VolumeLimitsTest {
    @Test
    void noLimitsNeverRekey() {
        assertSame(VolumeLimits.NONE, VolumeLimits.of(null, null));
        assertFalse(VolumeLimits.NONE.any());
        assertEquals(Verdict.WITHIN, VolumeLimits.NONE.forNewChild().check(Long.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    void softLimitIsJitteredDownAndHardLimitIsTenPercentAbove() {
        VolumeLimits v = VolumeLimits.of(1_000_000L, null);
        assertTrue(v.any());
        for (int i = 0; i < 200; i++) {
            VolumeLimits.Thresholds t = v.forNewChild();
            assertTrue(t.softBytes() > 900_000 && t.softBytes() <= 1_000_000, "soft " + t.softBytes());
            assertEquals(1_100_000, t.hardBytes());
            assertEquals(Verdict.WITHIN, t.check(t.softBytes() - 1, 1_000_000_000L), "packets are not limited");
            assertEquals(Verdict.REKEY, t.check(t.softBytes(), 0));
            assertEquals(Verdict.REKEY, t.check(1_099_999, 0));
            assertEquals(Verdict.EXHAUSTED, t.check(1_100_000, 0));
        }
    }

    @Test
    void packetLimitWorksAloneOrWithBytes() {
        VolumeLimits.Thresholds t = VolumeLimits.of(null, 1000L).forNewChild();
        assertEquals(Verdict.WITHIN, t.check(Long.MAX_VALUE / 2, 899));
        assertEquals(Verdict.EXHAUSTED, t.check(0, 1100));
        VolumeLimits.Thresholds both = VolumeLimits.of(10_000L, 1000L).forNewChild();
        assertEquals(Verdict.REKEY, both.check(10_000, 1));
        assertEquals(Verdict.REKEY, both.check(1, 1000));
    }

    @Test
    void negativeLimitsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new VolumeLimits(-1, 0));
    }
}
