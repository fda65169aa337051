package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.crypto.Algorithms;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One configured tunnel over time: which IKE SA currently carries it, its phase and last error (TunnelStatus, the
 * state machine of docs/operations.md), and reconnection with capped exponential back-off and jitter for tunnels
 * that initiate.
 */
final class TunnelRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(TunnelRuntime.class);

    private final IkeEngine engine;
    private volatile TunnelDefinition definition;
    private IkeSa current;
    private final TunnelStatus status;
    private Clock.Timer reconnect;
    /** System.nanoTime before which traffic does not start another attempt (OnTraffic back-off). */
    private long notBeforeNanos;
    private boolean backingOff;
    private boolean stopped;
    /** Subnet pairs the current IKE SA could not get a Child SA for (the peer refused them): the tunnel is Degraded. */
    private List<String> missingChildren = List.of();
    /** A Passive tunnel's contact sends its IKE_SA_INIT twice at most (at once and at the first retransmission). */
    private static final Duration CONTACT_GIVE_UP = Duration.ofSeconds(2);
    /** At most one contact per this period, however many stale messages the peer (or a spoofer) sends. */
    private static final long CONTACT_INTERVAL_NANOS = Duration.ofSeconds(10).toNanos();
    /** The IKE SA a Passive tunnel initiated because the peer still used SAs we no longer have; null once settled. */
    private IkeSa contact;
    private long lastContactNanos;
    /** The last round trip of a liveness check (kept across IKE SA rekeys and reconnects: the path is the same); null before the first. */
    private volatile Duration roundTrip;

    TunnelRuntime(IkeEngine engine, TunnelDefinition definition) {
        this.engine = engine;
        this.definition = definition;
        this.status = new TunnelStatus(TunnelStatus.Mode.of(definition));
    }

    String name() {
        return definition.name();
    }

    /** Swaps in an equal-fingerprint definition (reloaded credentials) without touching the running SAs. */
    void replaceDefinition(TunnelDefinition d) {
        if (!d.fingerprint().equals(definition.fingerprint())) {
            throw new IllegalArgumentException("tunnel " + d.name() + ": replacement has a different fingerprint");
        }
        definition = d;
    }

    TunnelDefinition definition() {
        return definition;
    }

    synchronized void start() {
        stopped = false;
        status.started();
        if (TunnelStatus.Mode.of(definition) == TunnelStatus.Mode.START) {
            initiate();
        }
    }

    /**
     * The configured peer sent an IKE request for an IKE SA we do not have: we lost our SAs (a restart, RFC 7296
     * section 2.21.4) and the peer still uses its own. A Passive tunnel would otherwise stay down until the peer's
     * dead-peer detection gives up; one IKE_SA_INIT now, whose IKE_AUTH carries INITIAL_CONTACT (section 2.4), makes
     * the peer drop its stale SAs and use the new ones at once. No retries: if the peer does not answer, we wait.
     */
    synchronized void peerUsesLostSa() {
        long now = engine.clock().nanoTime();
        if (!definition.passive() || stopped || current != null || (lastContactNanos != 0 && now - lastContactNanos < CONTACT_INTERVAL_NANOS)
                || engine.negotiating(this)) {
            return;
        }
        lastContactNanos = now;
        LOG.info("tunnel {}: the peer still uses an IKE SA we lost; contacting it (INITIAL_CONTACT)", name());
        initiate(CONTACT_GIVE_UP);
        contact = current;
    }

    /**
     * Starts an IKE SA as initiator unless one is already up or being set up, or (traffic of an OnTraffic tunnel) the
     * back-off after a failed attempt has not passed yet.
     */
    synchronized void initiate() {
        initiate(null);
    }

    private void initiate(Duration giveUp) {
        if (stopped || current != null || definition.peerAddress() == null || backingOff && engine.clock().nanoTime() - notBeforeNanos < 0) {
            return;
        }
        backingOff = false;
        status.attempt();
        IkeSa sa = engine.newInitiatorSa(this);
        current = sa;
        InetSocketAddress peer = new InetSocketAddress(definition.peerAddress(), definition.peerPort());
        Algorithms.Group group = definition.ikeProposals().getFirst().groups().getFirst();
        sa.execute(() -> sa.startInitiator(peer, group, giveUp));
    }

    synchronized void onIkeEstablished(IkeSa sa, boolean peerSentInitialContact) {
        if (sa == contact) {
            contact = null;
        }
        IkeSa old = current;
        current = sa;
        missingChildren = List.of();
        status.ikeEstablished();
        if (peerSentInitialContact) {
            // RFC 7296 section 2.4: the peer restarted, so every other IKE SA with it is stale: drop them at once.
            engine.dropOtherSas(this, sa);
        } else if (old != null && old != sa) {
            // Both sides initiated: keep the newest SA only.
            LOG.info("tunnel {}: replacing IKE SA {} with {}", name(), IkeSa.hex(old.localSpi()), IkeSa.hex(sa.localSpi()));
            old.execute(old::sendDeleteAndClose);
        }
        engine.listener().tunnelUp(name(), true);
    }

    /** The IKE SA was rekeyed: its successor carries the tunnel from now on (no reconnect, no phase change). */
    synchronized void onIkeRekeyed(IkeSa old, IkeSa next) {
        if (current == old) {
            current = next;
        }
    }

    synchronized void onChildChanged(IkeSaContext sa) {
        if (sa != current) {
            return;
        }
        status.childrenChanged(!sa.children().isEmpty(), !missingChildren.isEmpty());
    }

    /**
     * The IKE SA tried every subnet pair no Child SA carried; {@code refusals} (one message per pair, naming the
     * subnets) stay without a Child SA until the next IKE SA tries again. Empty: every pair is carried.
     */
    synchronized void noteMissingChildren(IkeSaContext sa, List<String> refusals) {
        if (sa != current) {
            return;
        }
        missingChildren = List.copyOf(refusals);
        if (!missingChildren.isEmpty()) {
            TunnelStatus.Error e = status.lastError();
            status.error(e == null ? FailureReason.CHILD_MISSING : e.reason(), String.join("; ", missingChildren), engine.clock().now());
        }
        onChildChanged(sa);
    }

    synchronized void onIkeClosed(IkeSa sa, boolean notify) {
        if (sa != current) {
            return;
        }
        current = null;
        status.ikeClosed();
        engine.listener().tunnelUp(name(), false);
        if (sa == contact) {
            contact = null;
            // A peer that did not answer our contact is no error: the tunnel is Passive and keeps waiting for it.
            status.contactUnanswered();
        }
        TunnelStatus.Mode mode = TunnelStatus.Mode.of(definition);
        if (stopped || mode == TunnelStatus.Mode.PASSIVE) {
            return;
        }
        // Every way down backs off, whether the IKE SA failed, a Child SA was refused after it came up, or it died.
        long base = status.reconnectDelay(engine.settings().reconnectMax()).toMillis();
        long jittered = (long) (base * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
        backingOff = true;
        notBeforeNanos = engine.clock().nanoTime() + Duration.ofMillis(jittered).toNanos();
        if (mode == TunnelStatus.Mode.ON_TRAFFIC) {
            return; // the next packet starts it, once the back-off has passed
        }
        LOG.info("tunnel {}: reconnecting in {} ms (attempt {})", name(), jittered, status.attempts() + 1);
        engine.listener().reconnect(name());
        if (reconnect != null) {
            reconnect.cancel();
        }
        reconnect = engine.timer(this::initiate, Duration.ofMillis(jittered));
    }

    synchronized void noteError(FailureReason reason, String message) {
        status.error(reason, message, engine.clock().now());
    }

    /** Stops the tunnel: the IKE SA is deleted with an INFORMATIONAL DELETE. */
    synchronized void stop() {
        stopped = true;
        status.stopped();
        if (reconnect != null) {
            reconnect.cancel();
        }
        IkeSa sa = current;
        if (sa != null) {
            sa.execute(sa::sendDeleteAndClose);
        }
    }

    synchronized IkeSa current() {
        return current;
    }

    /** Counters of Child SAs that are gone (rekeyed or deleted), so the tunnel totals survive rekeys. */
    private long retiredBytesIn;
    private long retiredBytesOut;
    private long retiredPacketsIn;
    private long retiredPacketsOut;

    synchronized void retire(dev.strait.gateway.datapath.spi.Datapath.SaCounters k) {
        if (k != null) {
            retiredBytesIn += k.bytesIn();
            retiredBytesOut += k.bytesOut();
            retiredPacketsIn += k.packetsIn();
            retiredPacketsOut += k.packetsOut();
        }
    }

    /** A liveness check of the current IKE SA was answered without retransmission after rtt. */
    void roundTrip(Duration rtt) {
        roundTrip = rtt;
        engine.listener().roundTrip(name(), rtt);
    }

    synchronized TunnelSnapshot snapshot() {
        IkeSa sa = current;
        TunnelSnapshot.Totals retired = new TunnelSnapshot.Totals(retiredBytesIn, retiredBytesOut, retiredPacketsIn, retiredPacketsOut);
        TunnelStatus.Error e = status.lastError();
        return TunnelSnapshot.of(definition, status.phase().name(), e == null ? null : e.reason().label(), e == null ? null : e.message(),
                e == null ? null : e.at(), sa, roundTrip, engine, retired);
    }
}
