package dev.strait.gateway.routing;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's loop: on every change the watch reports (debounced), and every resync period to repair drift (a CNI
 * that rewrote its chains, a route someone deleted), it computes this node's desired state and applies it. Passes
 * run on one thread, one at a time. Nothing is applied before the caches are complete: a half-read cluster would
 * look like "no tunnels" and remove working routes.
 */
public final class RouteAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RouteAgent.class);
    private static final Duration DEBOUNCE = Duration.ofMillis(100);

    private final String nodeName;
    private final RoutingSettings settings;
    private final IpRoute ip;
    private final RouteReconciler reconciler;
    private final Function<String, ClusterView> views;
    private final java.util.function.BooleanSupplier synced;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "route-agent");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean pending = new AtomicBoolean();
    private volatile DesiredState applied;
    private volatile Health health = new Health(false, "not synced with the API server yet", null, List.of());

    public RouteAgent(String nodeName, RoutingSettings settings, IpRoute ip, RouteReconciler reconciler,
            Function<String, ClusterView> views, java.util.function.BooleanSupplier synced) {
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
        this.settings = settings;
        this.ip = ip;
        this.reconciler = reconciler;
        this.views = views;
        this.synced = synced;
    }

    public RouteAgent start(Duration resync) {
        loop.scheduleWithFixedDelay(this::pass, 0, resync.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** Something changed: run a pass soon (changes arriving together make one pass). */
    public void changed() {
        if (pending.compareAndSet(false, true)) {
            loop.schedule(() -> {
                pending.set(false);
                pass();
            }, DEBOUNCE.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * How the last pass went, for the readiness probe and /status.
     *
     * @param ready    the last pass applied the desired state
     * @param message  why not, or what is applied
     * @param lastPass when the last pass ended (null before the first)
     * @param routes   the routes applied, as "dst via next-hop"
     */
    public record Health(boolean ready, String message, Instant lastPass, List<String> routes) {
    }

    public Health health() {
        return health;
    }

    private void pass() {
        if (!synced.getAsBoolean()) {
            changed(); // look again shortly: the events of the initial list may all have come before the sync
            return;
        }
        Instant started = Instant.now();
        try {
            ClusterView view = views.apply(nodeName);
            if (view.local().isEmpty()) {
                LOG.warn("node {} has no InternalIP in the API yet; nothing changed", nodeName);
                health = new Health(false, "node " + nodeName + " has no InternalIP in the API", started, List.of());
                return;
            }
            HostFacts facts = ip.hostFacts(view.local().get().ip());
            DesiredState desired = DesiredStateBuilder.build(view, facts, settings);
            reconciler.apply(desired);
            if (!desired.equals(applied)) {
                LOG.info("applied: {} route(s) {}, overlay {}", desired.routes().size(),
                        desired.routes().stream().map(r -> r.dst() + " via " + r.via()).toList(),
                        desired.overlay().map(o -> o.name() + " to " + o.peers()).orElse("none"));
                applied = desired;
            }
            List<String> routes = desired.routes().stream().map(r -> r.dst() + " via " + r.via()).toList();
            health = new Health(true, routes.size() + " route(s) applied", started, routes);
        } catch (IOException | RuntimeException e) {
            health = new Health(false, "pass failed: " + e.getMessage(), started, health.routes());
            LOG.warn("route agent pass failed (retried on the next change or resync): {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        loop.shutdownNow();
        try {
            loop.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
