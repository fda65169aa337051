package dev.strait.gateway.kube;

import dev.strait.gateway.ike.sa.TunnelSnapshot;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures a take-over: from the previous holder's last lease renewal (about when it stopped) until every configured
 * tunnel is established again on this replica. The result goes to the listener (metrics) and onto the Lease as the
 * {@value #ANNOTATION} annotation, which the operator shows in the IPsecGateway's status.
 */
public final class FailoverRecorder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FailoverRecorder.class);
    public static final String ANNOTATION = "strait.dev/last-failover";
    private static final Duration GIVE_UP = Duration.ofMinutes(5);

    /** What a take-over is reported to. */
    public interface Listener {
        void failover();

        void failoverDuration(Duration d);
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String leaseName;
    private final String identity;
    private final Supplier<List<TunnelSnapshot>> snapshots;
    private final Listener listener;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "failover-recorder");
        t.setDaemon(true);
        return t;
    });
    private ScheduledFuture<?> pending;

    public FailoverRecorder(KubernetesClient client, String namespace, String leaseName, String identity,
            Supplier<List<TunnelSnapshot>> snapshots, Listener listener) {
        this.client = client;
        this.namespace = namespace;
        this.leaseName = leaseName;
        this.identity = identity;
        this.snapshots = snapshots;
        this.listener = listener;
    }

    /** Called when this replica took the lease over; a take-over still being measured is dropped. */
    public synchronized void tookOver(ActiveStandby.Takeover t) {
        listener.failover();
        if (pending != null) {
            pending.cancel(false);
        }
        Instant since = t.lastRenewal() != null && t.lastRenewal().isBefore(t.at()) ? t.lastRenewal() : t.at();
        long deadline = System.nanoTime() + GIVE_UP.toNanos();
        pending = timer.scheduleWithFixedDelay(() -> check(t, since, deadline), 0, 50, TimeUnit.MILLISECONDS);
    }

    private void check(ActiveStandby.Takeover t, Instant since, long deadline) {
        try {
            if (!allEstablished(snapshots.get())) {
                if (System.nanoTime() > deadline) {
                    LOG.warn("tunnels not all established {} after taking the lease over; no failover time recorded", GIVE_UP);
                    stop();
                }
                return;
            }
            Duration took = Duration.between(since, Instant.now());
            stop();
            listener.failoverDuration(took);
            LOG.info("failover from {} done: tunnels established {} ms after its last renewal ({})",
                    t.from().isEmpty() ? "unknown" : t.from(), took.toMillis(), t.why());
            annotate(t, took);
        } catch (RuntimeException e) {
            LOG.warn("failover measurement failed: {}", e.toString());
            stop();
        }
    }

    static boolean allEstablished(List<TunnelSnapshot> tunnels) {
        return tunnels.stream().allMatch(s -> "Established".equals(s.phase()));
    }

    private synchronized void stop() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    private void annotate(ActiveStandby.Takeover t, Duration took) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("from", t.from());
        record.put("to", identity);
        record.put("at", t.at().toString());
        record.put("seconds", Math.round(took.toMillis() / 100.0) / 10.0);
        record.put("reason", t.why());
        String json = Serialization.asJson(Map.of("metadata", Map.of("annotations",
                Map.of(ANNOTATION, Serialization.asJson(record)))));
        try {
            client.leases().inNamespace(namespace).withName(leaseName).patch(PatchContext.of(PatchType.JSON_MERGE), json);
        } catch (KubernetesClientException e) {
            LOG.warn("could not note the failover on lease {}/{}: {}", namespace, leaseName, e.getMessage());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
