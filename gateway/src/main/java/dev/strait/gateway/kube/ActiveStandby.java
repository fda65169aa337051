package dev.strait.gateway.kube;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active/standby between gateway replicas with a coordination.k8s.io Lease.
 *
 * <p>The holder of the lease is active: it runs the tunnels and reports their status. The others are standby: admin
 * server up, {@code /readyz} 503, no tunnels. A standby takes the lease when it is released (a clean shutdown hands
 * it over), when it has not changed for {@code leaseDuration} as seen by this replica (client-go's rule, which needs
 * no synchronized clocks), or at once when a {@link HolderCheck} says the holder's process is gone (its container
 * died: kubelet reports that within a second or two, far sooner than the lease expires). The lease is watched, so a
 * release or a holder's death is acted on when it happens, not at the next retry.
 *
 * <p>The active replica renews every {@code retryPeriod}; when no renewal has succeeded for {@code renewDeadline}
 * (shorter than the lease, so it steps down before anyone may take over) it stops its tunnels and stands by. An API
 * server that does not answer for less than that changes nothing. A new process that finds the lease held under its
 * own identity (a previous process of the same pod, killed) takes it afresh, with a new acquireTime, so that the
 * holder check of the other replicas sees a live holder again.
 *
 * <p>Hand-written rather than fabric8's LeaderElector: that one jitters its retries up to 2.2 times the period,
 * judges expiry by the holder's clock, and cannot be told to try now.
 */
public final class ActiveStandby implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ActiveStandby.class);
    /** Set on the Lease by the holder: the node its tunnels run on (the route agents and the operator read it). */
    public static final String NODE_ANNOTATION = "strait.dev/node";
    /** Set on release: who gave the lease up, so the next holder can say whom it took over from. */
    public static final String RELEASED_BY_ANNOTATION = "strait.dev/released-by";

    /** What changes when this replica gains or loses the lease; called one at a time. */
    public interface Role {
        void becomeActive();

        void becomeStandby();
    }

    /** Whether the process that holds a lease is known to be gone, though the lease has not expired yet. */
    public interface HolderCheck {
        HolderCheck NONE = lease -> false;

        boolean dead(Lease lease);
    }

    public record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
        /**
         * A 10 s lease renewed every second: an API server that does not answer for up to ~7 s changes nothing
         * (the renew deadline is 8 s); a replica whose node is cut off is replaced about 10 s after its last renewal.
         * A crashed replica is replaced sooner, through the holder check.
         */
        public static Timing defaults() {
            return new Timing(Duration.ofSeconds(10), Duration.ofSeconds(8), Duration.ofSeconds(1));
        }
    }

    /**
     * This replica took the lease over from another holder (or a previous process of its own pod).
     *
     * @param from        the previous holder's identity ("" when unknown)
     * @param lastRenewal when the previous holder last renewed (or released) the lease: about when it stopped
     * @param at          when this replica took the lease
     * @param why         released, expired, holder gone, previous process
     */
    public record Takeover(String from, Instant lastRenewal, Instant at, String why) {
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String leaseName;
    private final String identity;
    private final String node;
    private final Timing timing;
    private final Role role;
    private final java.util.concurrent.ScheduledThreadPoolExecutor loop = electionThread();
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "lease-deadline"));
    private volatile HolderCheck holderCheck = HolderCheck.NONE;
    private volatile java.util.function.Consumer<Takeover> onTakeover = t -> { };
    private volatile boolean active;
    private volatile boolean closed;
    private volatile String leader;
    private volatile Lease lastSeen;
    private volatile long lastRenewNanos;
    private volatile Watch watch;
    private String observedVersion;
    private long observedAtNanos;

    public ActiveStandby(KubernetesClient client, String namespace, String leaseName, String identity, Timing timing,
            Role role) {
        this(client, namespace, leaseName, identity, null, timing, role);
    }

    /** @param node this replica's node (set on the lease while it holds it), or null */
    public ActiveStandby(KubernetesClient client, String namespace, String leaseName, String identity, String node,
            Timing timing, Role role) {
        this.client = Objects.requireNonNull(client, "client");
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.leaseName = Objects.requireNonNull(leaseName, "leaseName");
        this.identity = Objects.requireNonNull(identity, "identity");
        this.node = node;
        this.timing = Objects.requireNonNull(timing, "timing");
        this.role = Objects.requireNonNull(role, "role");
    }

    /** One thread; on close the next scheduled look is dropped, so the release on SIGTERM does not wait for it. */
    private static java.util.concurrent.ScheduledThreadPoolExecutor electionThread() {
        var e = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> daemon(r, "lease-election"));
        e.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return e;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Tells this replica when another's process is gone; {@link #holderChanged()} should follow its changes. */
    public ActiveStandby withHolderCheck(HolderCheck check) {
        this.holderCheck = Objects.requireNonNull(check, "check");
        return this;
    }

    /** Called (on the election thread) each time this replica takes the lease over from another holder. */
    public ActiveStandby onTakeover(java.util.function.Consumer<Takeover> listener) {
        this.onTakeover = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /** Joins the election; returns at once. */
    public ActiveStandby start() {
        loop.execute(this::tickAndReschedule);
        long check = Math.max(50, timing.retryPeriod().toMillis() / 4);
        watchdog.scheduleWithFixedDelay(this::checkDeadline, check, check, TimeUnit.MILLISECONDS);
        Thread.ofPlatform().daemon().name("lease-watch").start(this::watchLoop);
        return this;
    }

    /** The holder check may have changed its mind (a pod changed): a standby looks at the lease now. */
    public void holderChanged() {
        Lease l = lastSeen;
        if (!active && !closed && l != null && holderCheck.dead(l)) {
            poke();
        }
    }

    private void poke() {
        if (!closed) {
            try {
                loop.execute(this::tick);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    private void tickAndReschedule() {
        tick();
        if (!closed) {
            try {
                loop.schedule(this::tickAndReschedule, timing.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    private Resource<Lease> lease() {
        return client.leases().inNamespace(namespace).withName(leaseName);
    }

    /** One look at the lease: renew, take, or stand by. Runs on the election thread only. */
    private void tick() {
        if (closed) {
            return;
        }
        try {
            Lease current = lease().get();
            long now = System.nanoTime();
            if (current == null) {
                create();
                return;
            }
            observe(current, now);
            String holder = holder(current);
            if (identity.equals(holder)) {
                if (active) {
                    renew(current);
                } else {
                    take(current, "held under this identity by an earlier process or before a missed renewal");
                }
            } else if (holder.isEmpty()) {
                take(current, "released");
            } else if (now - observedAtNanos > seconds(current) * 1_000_000_000L) {
                take(current, "expired");
            } else if (holderCheck.dead(current)) {
                take(current, "holder's process is gone");
            } else if (active) {
                LOG.warn("{} sees {} holding lease {}/{}", identity, holder, namespace, leaseName);
                standby();
            }
        } catch (KubernetesClientException e) {
            // A conflict (someone wrote in between: the next look decides) or an unreachable API server (the
            // watchdog steps down once the renew deadline has passed).
            LOG.debug("lease {}/{}: {}", namespace, leaseName, e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("lease {}/{}: {}", namespace, leaseName, e.toString());
        }
    }

    private void observe(Lease l, long now) {
        lastSeen = l;
        String version = l.getMetadata().getResourceVersion();
        if (!Objects.equals(version, observedVersion)) {
            observedVersion = version;
            observedAtNanos = now;
        }
        String holder = holder(l);
        String was = leader;
        leader = holder.isEmpty() ? null : holder;
        if (!Objects.equals(was, leader) && leader != null && !identity.equals(leader)) {
            LOG.info("lease {}/{} is held by {}; {} stands by", namespace, leaseName, leader, identity);
        }
    }

    private long seconds(Lease l) {
        Integer s = l.getSpec() == null ? null : l.getSpec().getLeaseDurationSeconds();
        return s != null ? s : timing.leaseDuration().toSeconds();
    }

    private static String holder(Lease l) {
        String h = l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
        return h == null ? "" : h;
    }

    private static ZonedDateTime nowUtc() {
        return ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    }

    private void create() {
        ZonedDateTime now = nowUtc();
        Lease created = client.leases().inNamespace(namespace).resource(new LeaseBuilder()
                .withNewMetadata().withName(leaseName).withNamespace(namespace).withAnnotations(nodeAnnotation())
                .endMetadata()
                .withNewSpec().withHolderIdentity(identity).withLeaseDurationSeconds(leaseSeconds())
                .withAcquireTime(now).withRenewTime(now).withLeaseTransitions(0).endSpec().build()).create();
        acquired(created, null);
    }

    private Map<String, String> nodeAnnotation() {
        return node == null ? Map.of() : Map.of(NODE_ANNOTATION, node);
    }

    private int leaseSeconds() {
        return (int) Math.max(1, timing.leaseDuration().toSeconds());
    }

    /** An update carrying the resourceVersion it was read at: the server refuses it if anyone wrote in between. */
    private Lease write(Lease changed) {
        return client.leases().inNamespace(namespace).resource(changed).update();
    }

    private void renew(Lease current) {
        Lease renewed = write(new LeaseBuilder(current).editSpec().withRenewTime(nowUtc())
                .withLeaseDurationSeconds(leaseSeconds()).endSpec().build());
        lastRenewNanos = System.nanoTime();
        observe(renewed, lastRenewNanos);
    }

    private void take(Lease current, String why) {
        ZonedDateTime now = nowUtc();
        String from = holder(current);
        if (from.isEmpty() && current.getMetadata().getAnnotations() != null) {
            from = current.getMetadata().getAnnotations().getOrDefault(RELEASED_BY_ANNOTATION, "");
        }
        ZonedDateTime lastRenewal = current.getSpec().getRenewTime();
        int transitions = current.getSpec().getLeaseTransitions() == null ? 0 : current.getSpec().getLeaseTransitions();
        LeaseBuilder b = new LeaseBuilder(current);
        b.editMetadata().removeFromAnnotations(RELEASED_BY_ANNOTATION).addToAnnotations(nodeAnnotation()).endMetadata();
        Lease taken = write(b.editSpec()
                .withHolderIdentity(identity).withLeaseDurationSeconds(leaseSeconds()).withAcquireTime(now)
                .withRenewTime(now).withLeaseTransitions(transitions + 1).endSpec().build());
        LOG.info("{} took lease {}/{} from {} ({})", identity, namespace, leaseName, from.isEmpty() ? "nobody" : from, why);
        acquired(taken, new Takeover(from, lastRenewal == null ? null : lastRenewal.toInstant(), now.toInstant(), why));
    }

    private void acquired(Lease l, Takeover takeover) {
        lastRenewNanos = System.nanoTime();
        observe(l, lastRenewNanos);
        synchronized (this) {
            if (closed) {
                return;
            }
            if (!active) {
                LOG.info("{} holds lease {}/{}: becoming active", identity, namespace, leaseName);
                active = true;
                role.becomeActive();
            }
        }
        if (takeover != null) {
            try {
                onTakeover.accept(takeover);
            } catch (RuntimeException e) {
                LOG.warn("take-over listener failed: {}", e.toString());
            }
        }
    }

    /** No renewal for the renew deadline: stop the tunnels before anyone else may take the lease. */
    private void checkDeadline() {
        if (active && System.nanoTime() - lastRenewNanos > timing.renewDeadline().toNanos()) {
            LOG.warn("{} could not renew lease {}/{} for {} s", identity, namespace, leaseName,
                    timing.renewDeadline().toSeconds());
            standby();
        }
    }

    private synchronized void standby() {
        if (!active) {
            return;
        }
        LOG.warn("{} no longer holds lease {}/{}: stopping tunnels, standing by", identity, namespace, leaseName);
        active = false;
        role.becomeStandby();
    }

    /** Follows the lease so that a release, a new holder or a lost lease is acted on at once. */
    private void watchLoop() {
        while (!closed) {
            try {
                Watches.runToEnd(lease()::watch, this::leaseEvent, w -> watch = w, () -> closed);
            } catch (KubernetesClientException e) {
                LOG.debug("watch of lease {}/{} ended: {}", namespace, leaseName, e.getMessage());
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(1_000); // the periodic look goes on meanwhile
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** A release, a new holder or a dead one: look now rather than at the next period. */
    private void leaseEvent(Watcher.Action action, Lease l) {
        if (action == Watcher.Action.DELETED || l == null) {
            poke();
            return;
        }
        String holder = holder(l);
        if (active ? !identity.equals(holder) : holder.isEmpty() || holderCheck.dead(l)) {
            poke();
        }
    }

    public boolean isActive() {
        return active;
    }

    /** The identity that holds the lease as last observed, or null. */
    public String leader() {
        return leader;
    }

    public String identity() {
        return identity;
    }

    /**
     * Stops taking part. An active replica hands the lease back first (holder cleared, so a standby takes over at
     * once), then stops its tunnels.
     */
    @Override
    public void close() {
        boolean wasActive;
        synchronized (this) {
            closed = true;
            wasActive = active;
        }
        loop.shutdown();
        try {
            loop.awaitTermination(6, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        watchdog.shutdownNow();
        Watch w = watch;
        if (w != null) {
            w.close();
        }
        if (wasActive) {
            release();
        }
        synchronized (this) {
            if (active) {
                active = false;
                role.becomeStandby();
            }
        }
    }

    private void release() {
        try {
            Lease current = lease().get();
            if (current == null || !identity.equals(holder(current))) {
                return;
            }
            ZonedDateTime now = nowUtc();
            LeaseBuilder b = new LeaseBuilder(current);
            b.editMetadata().addToAnnotations(RELEASED_BY_ANNOTATION, identity).endMetadata();
            write(b.editSpec()
                    .withHolderIdentity("").withLeaseDurationSeconds(1).withRenewTime(now).endSpec().build());
            LOG.info("{} released lease {}/{}", identity, namespace, leaseName);
        } catch (KubernetesClientException e) {
            LOG.warn("could not release lease {}/{} (a standby takes it when it expires): {}", namespace, leaseName,
                    e.getMessage());
        }
    }
}
