package dev.strait.gateway.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strait.api.v1alpha1.TunnelStatus;
import dev.strait.gateway.ike.sa.TunnelSnapshot;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each running tunnel's status to its IPsecTunnel through the status subresource.
 *
 * <p>An informer keeps the tunnels of the gateway's namespace in memory, so deciding "does the server already say
 * this?" costs no round trip; a write happens only when the status without counters differs from the server's (a
 * phase change, a new SPI, or the operator resetting phase), at most once per {@code minInterval} per tunnel.
 * Counter-only changes ride along, or are written on their own every {@code countersInterval}.
 *
 * <p>Writes are JSON patches that replace the gateway's fields and carry the resourceVersion they were computed
 * from, so a concurrent operator write (ConfigValid) makes the server answer 409 instead of being lost; the reporter
 * re-reads and tries again. Only {@code get/list/watch} on ipsectunnels and {@code patch} on their status are needed
 * (the Role the operator renders). Reports are paused while this replica is standby.
 */
public final class TunnelStatusReporter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TunnelStatusReporter.class);
    public static final ResourceDefinitionContext IPSEC_TUNNELS = new ResourceDefinitionContext.Builder()
            .withGroup("strait.dev").withVersion("v1alpha1").withKind("IPsecTunnel").withPlural("ipsectunnels")
            .withNamespaced(true).build();
    /** The status fields the gateway owns; all others (ConfigValid among the conditions) are kept as read. */
    private static final List<String> OWNED = List.of("ike", "children", "observedGeneration", "lastError", "reportedBy");
    private static final int ATTEMPTS = 4;

    public record Settings(Duration tick, Duration minInterval, Duration countersInterval) {
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30));
        }
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String reporter;
    private final Supplier<List<TunnelSnapshot>> snapshots;
    private final Settings settings;
    private final Clock clock;
    private final SharedIndexInformer<GenericKubernetesResource> informer;
    private final Map<String, Instant> lastWrite = new HashMap<>();
    /**
     * What our last write returned, keyed by tunnel, with the resourceVersion it replaced: until the informer has
     * caught up, its cache still shows the old status, and deciding from it would write the same status again.
     */
    private final Map<String, Written> written = new HashMap<>();

    private record Written(String replacedVersion, GenericKubernetesResource result) {
    }
    private final ScheduledExecutorService timer;
    private volatile boolean active;
    private volatile long writes;

    public TunnelStatusReporter(KubernetesClient client, String namespace, String reporter,
            Supplier<List<TunnelSnapshot>> snapshots, Settings settings, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.reporter = reporter;
        this.snapshots = Objects.requireNonNull(snapshots, "snapshots");
        this.settings = settings;
        this.clock = clock;
        this.informer = client.genericKubernetesResources(IPSEC_TUNNELS).inNamespace(namespace).runnableInformer(0);
        // Keep retrying when the API server is unreachable at start or later; status catches up when it returns.
        informer.exceptionHandler((started, t) -> {
            LOG.warn("watching IPsecTunnels in {} failed, retrying: {}", namespace, t.toString());
            return true;
        });
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "status-reporter");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts watching and the periodic report; nothing is written until {@link #setActive(boolean) active}. */
    public TunnelStatusReporter start() {
        informer.start();
        long ms = settings.tick().toMillis();
        timer.scheduleWithFixedDelay(this::tickSafely, ms, ms, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Only the active replica writes; a standby's view of the tunnels is empty anyway. */
    public void setActive(boolean active) {
        this.active = active;
        if (!active) {
            synchronized (this) {
                lastWrite.clear();
            }
        }
    }

    /** Status writes done so far (for tests and the admin status). */
    public long writes() {
        return writes;
    }

    private void tickSafely() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("status report failed: {}", e.toString());
        }
    }

    /** One pass over all tunnels; public so tests can drive it without waiting for the timer. */
    public synchronized void tick() {
        if (!active || !informer.hasSynced()) {
            return;
        }
        Instant now = clock.instant();
        List<TunnelSnapshot> all = snapshots.get();
        for (TunnelSnapshot snap : all) {
            if (snap.namespace() != null && !snap.namespace().equals(namespace)) {
                continue; // the operator only puts tunnels of the gateway's namespace into its config
            }
            GenericKubernetesResource cached = informer.getStore().getByKey(namespace + "/" + snap.name());
            if (cached == null) {
                continue; // deleted, or not yet seen: nothing to report on
            }
            Written ours = written.get(snap.name());
            if (ours != null && ours.replacedVersion().equals(cached.getMetadata().getResourceVersion())) {
                cached = ours.result(); // the informer has not seen our last write yet
            } else {
                written.remove(snap.name());
            }
            TunnelStatus current = StatusJson.fromObject(cached.getAdditionalProperties().get("status"));
            TunnelStatus desired = StatusRenderer.merge(current, snap, reporter, now);
            boolean material = !sameWithoutCounters(current, desired);
            Instant last = lastWrite.get(snap.name());
            Duration since = last == null ? Duration.ofDays(1) : Duration.between(last, now);
            boolean countersDue = !StatusJson.tree(desired).equals(StatusJson.tree(current))
                    && since.compareTo(settings.countersInterval()) >= 0;
            if ((material && since.compareTo(settings.minInterval()) >= 0) || countersDue) {
                if (write(snap, cached)) {
                    lastWrite.put(snap.name(), now);
                }
            }
        }
        lastWrite.keySet().retainAll(all.stream().map(TunnelSnapshot::name).toList());
        written.keySet().retainAll(lastWrite.keySet());
    }

    static boolean sameWithoutCounters(TunnelStatus current, TunnelStatus desired) {
        if (current == null) {
            return false;
        }
        // Transition times compare equal unless a condition flipped: the renderer carries the server's over.
        return StatusJson.tree(StatusRenderer.withoutCounters(current))
                .equals(StatusJson.tree(StatusRenderer.withoutCounters(desired)));
    }

    boolean write(TunnelSnapshot snap, GenericKubernetesResource cached) {
        GenericKubernetesResource base = cached;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            ObjectNode status = base.getAdditionalProperties().get("status") == null
                    ? StatusJson.MAPPER.createObjectNode()
                    : StatusJson.MAPPER.valueToTree(base.getAdditionalProperties().get("status"));
            TunnelStatus desired = StatusRenderer.merge(StatusJson.fromObject(status.isEmpty() ? null : status), snap,
                    reporter, clock.instant());
            overlay(status, StatusJson.tree(desired));
            ArrayNode patch = StatusJson.MAPPER.createArrayNode();
            // resourceVersion in the patched object is a precondition: 409 if someone wrote since we read.
            patch.addObject().put("op", "replace").put("path", "/metadata/resourceVersion")
                    .put("value", base.getMetadata().getResourceVersion());
            patch.addObject().put("op", "add").put("path", "/status").set("value", status);
            try {
                GenericKubernetesResource result = client.genericKubernetesResources(IPSEC_TUNNELS).inNamespace(namespace)
                        .withName(snap.name()).subresource("status").patch(PatchContext.of(PatchType.JSON), patch.toString());
                if (result != null) {
                    written.put(snap.name(), new Written(base.getMetadata().getResourceVersion(), result));
                }
                writes++;
                LOG.debug("status of tunnel {}/{} written: phase {}", namespace, snap.name(), desired.phase);
                return true;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    return false; // deleted meanwhile
                }
                if (e.getCode() != 409 || attempt == ATTEMPTS) {
                    // the message is the API server's; it never contains our status values' secrets (there are none)
                    LOG.warn("status of tunnel {}/{} not written: {} {}", namespace, snap.name(), e.getCode(),
                            e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage());
                    return false;
                }
                base = client.genericKubernetesResources(IPSEC_TUNNELS).inNamespace(namespace).withName(snap.name()).get();
                if (base == null) {
                    return false;
                }
            }
        }
        return false;
    }

    /** Replaces the gateway's fields of {@code status} with {@code desired}'s, keeping everything else. */
    private static void overlay(ObjectNode status, JsonNode desired) {
        for (String f : OWNED) {
            if (desired.has(f)) {
                status.set(f, desired.get(f));
            } else {
                status.remove(f);
            }
        }
        status.set("conditions", desired.get("conditions"));
        if (desired.has("phase")) {
            status.set("phase", desired.get("phase"));
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        informer.close();
    }
}
