package dev.strait.gateway.kube;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active/standby between gateway replicas with a coordination.k8s.io Lease (fabric8 {@link LeaderElector}).
 *
 * <p>The holder of the lease is active: it runs the tunnels and reports their status. The others are standby:
 * admin server up, {@code /readyz} 503 (so a Service sends IKE/ESP only to the active pod), no tunnels. When the
 * active replica cannot renew the lease it stops its tunnels (IKE DELETE to the peers, so they re-establish with the
 * new active quickly) and rejoins the election as standby; it does not exit, the process stays healthy. A standby
 * takes over once the lease has expired ({@code leaseDuration} after the last renewal), or at once when the active
 * replica released it on a clean shutdown.
 */
public final class ActiveStandby implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ActiveStandby.class);

    /** What changes when this replica gains or loses the lease; called on the election thread, one at a time. */
    public interface Role {
        void becomeActive();

        void becomeStandby();
    }

    public record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
        /** client-go's defaults: take-over within ~15 s of a crash, no flapping on a slow API server. */
        public static Timing defaults() {
            return new Timing(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
        }
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String leaseName;
    private final String identity;
    private final Timing timing;
    private final Role role;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "leader-election");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean active;
    private volatile boolean closed;
    private volatile String leader;
    private volatile CompletableFuture<?> round;

    public ActiveStandby(KubernetesClient client, String namespace, String leaseName, String identity, Timing timing,
            Role role) {
        this.client = Objects.requireNonNull(client, "client");
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.leaseName = Objects.requireNonNull(leaseName, "leaseName");
        this.identity = Objects.requireNonNull(identity, "identity");
        this.timing = timing;
        this.role = Objects.requireNonNull(role, "role");
    }

    /** Joins the election; returns at once. */
    public ActiveStandby start() {
        nextRound();
        return this;
    }

    private synchronized void nextRound() {
        if (closed) {
            return;
        }
        LeaderElector elector = client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
                .withName(leaseName)
                .withLock(new LeaseLock(namespace, leaseName, identity))
                .withLeaseDuration(timing.leaseDuration())
                .withRenewDeadline(timing.renewDeadline())
                .withRetryPeriod(timing.retryPeriod())
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(this::started, this::lost, this::newLeader))
                .build()).build();
        CompletableFuture<?> r = elector.start();
        round = r;
        r.whenComplete((ok, err) -> {
            if (err != null && !(err instanceof java.util.concurrent.CancellationException)) {
                LOG.warn("leader election on lease {}/{} ended: {}", namespace, leaseName, err.toString());
            }
            roundEnded(r);
        });
    }

    /**
     * A round ends when leadership is lost, or the elector gave up. Either way we no longer hold the lease: stand by
     * and run for it again. Guarded by identity, as both the future and the lost callback can end the same round.
     */
    private void roundEnded(CompletableFuture<?> which) {
        synchronized (this) {
            if (which != round) {
                return;
            }
            round = null;
        }
        stopped();
        if (!closed) {
            executor.execute(this::nextRound);
        }
    }

    private synchronized void started() {
        LOG.info("{} holds lease {}/{}: becoming active", identity, namespace, leaseName);
        active = true;
        role.becomeActive();
    }

    /**
     * The elector says we stopped leading. Its own round may not finish (it re-reads the lease first, and with the
     * API server unreachable that throws past its completion), so end the round here.
     */
    private void lost() {
        stopped();
        CompletableFuture<?> r = round;
        if (r != null && !closed) {
            executor.execute(() -> {
                r.cancel(true);
                roundEnded(r);
            });
        }
    }

    private synchronized void stopped() {
        if (!active) {
            return;
        }
        LOG.warn("{} no longer holds lease {}/{}: stopping tunnels, standing by", identity, namespace, leaseName);
        active = false;
        role.becomeStandby();
    }

    private void newLeader(String who) {
        leader = who;
        if (who != null && !identity.equals(who)) {
            LOG.info("lease {}/{} is held by {}; {} stands by", namespace, leaseName, who, identity);
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

    /** Stops taking part; an active replica stops its tunnels and releases the lease so a standby takes over now. */
    @Override
    public void close() {
        closed = true;
        CompletableFuture<?> r = round;
        if (r != null) {
            r.cancel(true); // releaseOnCancel: the lease is handed back
        }
        stopped();
        executor.shutdownNow();
    }
}
