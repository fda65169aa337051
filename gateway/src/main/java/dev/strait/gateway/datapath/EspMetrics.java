package dev.strait.gateway.datapath;

import dev.strait.gateway.esp.DropReason;
import dev.strait.gateway.esp.EspCounters;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-tunnel ESP counters as Micrometer FunctionCounters read straight from the lock-free counters. The Prometheus
 * names are strait_esp_{rx,tx}_{bytes,packets}_total and strait_esp_drops_total{reason}, labelled tunnel=.
 */
final class EspMetrics {
    private EspMetrics() {
    }

    static List<Meter> register(MeterRegistry registry, String tunnel, EspCounters c) {
        List<Meter> meters = new ArrayList<>();
        if (registry == null) {
            return meters;
        }
        meters.add(FunctionCounter.builder("strait.esp.rx.bytes", c, EspCounters::bytesIn).baseUnit("bytes")
                .description("Inner bytes received and authenticated").tag("tunnel", tunnel).register(registry));
        meters.add(FunctionCounter.builder("strait.esp.tx.bytes", c, EspCounters::bytesOut).baseUnit("bytes")
                .description("Inner bytes encrypted and sent").tag("tunnel", tunnel).register(registry));
        meters.add(FunctionCounter.builder("strait.esp.rx.packets", c, EspCounters::packetsIn)
                .description("ESP packets received and authenticated").tag("tunnel", tunnel).register(registry));
        meters.add(FunctionCounter.builder("strait.esp.tx.packets", c, EspCounters::packetsOut)
                .description("ESP packets sent").tag("tunnel", tunnel).register(registry));
        for (DropReason r : DropReason.values()) {
            meters.add(FunctionCounter.builder("strait.esp.drops", c, x -> x.drops(r))
                    .description("Packets dropped by the ESP datapath").tag("tunnel", tunnel)
                    .tag("reason", r.label()).register(registry));
        }
        return meters;
    }

    static void remove(MeterRegistry registry, List<Meter> meters) {
        if (registry != null) {
            meters.forEach(registry::remove);
        }
    }
}
