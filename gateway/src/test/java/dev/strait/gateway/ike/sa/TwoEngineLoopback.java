package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.sa.MemoryEngines.Side;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A loopback test of two engines on one {@link MemoryEngines}: a test's pair helper sets A (it starts) and B (it waits). */
abstract class TwoEngineLoopback {
    @RegisterExtension
    final MemoryEngines engines = new MemoryEngines();
    Side a;
    Side b;
}
