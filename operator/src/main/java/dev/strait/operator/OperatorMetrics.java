package dev.strait.operator;

import dev.strait.operator.crd.IPsecTunnel;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** strait_reconcile_duration_seconds{controller} and strait_tunnels{phase}, served on /metrics. */
public final class OperatorMetrics {
    public static final List<String> PHASES = List.of("Pending", "Connecting", "Established", "Degraded", "Failed");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private volatile Supplier<Stream<IPsecTunnel>> tunnels = Stream::empty;

    public OperatorMetrics() {
        for (String phase : PHASES) {
            Gauge.builder("strait.tunnels", () -> tunnels.get()
                            .filter(t -> t.getStatus() != null && Objects.equals(phase, t.getStatus().phase)).count())
                    .description("IPsecTunnels by phase").tag("phase", phase).register(registry);
        }
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    void countTunnelsFrom(Supplier<Stream<IPsecTunnel>> source) {
        this.tunnels = source;
    }

    public <T> T timeReconcile(String controller, Supplier<T> work) {
        Timer timer = Timer.builder("strait.reconcile.duration").description("Time to reconcile one resource")
                .tag("controller", controller).publishPercentileHistogram().register(registry);
        return timer.record(work);
    }
}
