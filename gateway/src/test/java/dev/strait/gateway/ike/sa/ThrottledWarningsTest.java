package dev.strait.gateway.ike.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class ThrottledWarningsTest {
    private final List<String> lines = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(1_000);
    /** A Logger that records its warn(format, args...) calls as "format|args". */
    private final Logger log = (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
            (proxy, method, args) -> {
                if (method.getName().equals("warn") && args.length == 2 && args[1] instanceof Object[] a) {
                    lines.add(args[0] + "|" + Arrays.toString(a));
                }
                return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
            });
    private final ThrottledWarnings warnings = new ThrottledWarnings(log, now::get);

    @Test
    void oneLinePerReasonPerPeriodThenTheSuppressedCount() {
        assertTrue(warnings.warn("integrity", "drop {} {}", "a", 1));
        for (int i = 0; i < 5400; i++) {
            assertFalse(warnings.warn("integrity", "drop {} {}", "a", 1));
        }
        assertTrue(warnings.warn("malformed", "other {} {}", "b", 2), "another reason has its own budget");
        now.addAndGet(TimeUnit.SECONDS.toNanos(10));
        assertTrue(warnings.warn("integrity", "drop {} {}", "c", 3));
        assertFalse(warnings.warn("integrity", "drop {} {}", "d", 4));
        assertEquals(List.of("drop {} {}|[a, 1]", "other {} {}|[b, 2]", "drop {} {} ({} more like this suppressed)|[c, 3, 5400]"),
                lines);
    }
}
