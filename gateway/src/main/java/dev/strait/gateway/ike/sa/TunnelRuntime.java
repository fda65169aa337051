package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.crypto.Algorithms;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One configured tunnel over time: which IKE SA currently carries it, its phase, the last error, and reconnection
 * with capped exponential back-off and jitter for tunnels that initiate.
 */
final class TunnelRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(TunnelRuntime.class);

    private final IkeEngine engine;
    private volatile TunnelDefinition definition;
    private IkeSa current;
    private String phase = "Pending";
    private String lastErrorReason;
    private String lastError;
    private Instant lastErrorAt;
    private int attempts;
    private ScheduledFuture<?> reconnect;
    private boolean stopped;
    /** Subnet pairs the current IKE SA could not get a Child SA for (the peer refused them): the tunnel is Degraded. */
    private List<String> missingChildren = List.of();
    private volatile ResponderNarrowing narrowing = ResponderNarrowing.ALL_PAIRS;
    /** Long enough for a peer that initiates itself at our start to get its IKE SA up first. */
    private static final Duration START_CONTACT_DELAY = Duration.ofSeconds(1);
    /** The start contact's IKE_SA_INIT is sent twice at most (then and at the first retransmission). */
    private static final Duration START_CONTACT_GIVE_UP = Duration.ofSeconds(2);
    /** The one IKE SA a Passive tunnel initiates at start (see {@link #start}); null once it is settled. */
    private IkeSa startContact;

    TunnelRuntime(IkeEngine engine, TunnelDefinition definition) {
        this.engine = engine;
        this.definition = definition;
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
        if (definition.passive() || definition.initiation() == dev.strait.api.v1alpha1.TunnelSpec.Initiation.OnTraffic) {
            phase = "Pending";
            if (definition.passive() && definition.peerAddress() != null) {
                engine.timer(this::contactAtStart, START_CONTACT_DELAY);
            }
            return;
        }
        initiate();
    }

    /**
     * A Passive tunnel's one contact after start. After a restart the peer still holds SAs we lost and would only
     * notice by dead-peer detection: one IKE_SA_INIT, whose IKE_AUTH carries INITIAL_CONTACT (RFC 7296 section 2.4),
     * makes it drop them and use the new SA at once. Skipped when the peer is already negotiating with us (it
     * initiates itself, so two IKE SAs would collide); no retries: if the peer does not answer, we wait for it.
     */
    private synchronized void contactAtStart() {
        if (stopped || current != null || engine.negotiating(this)) {
            return;
        }
        LOG.info("tunnel {}: Passive, contacting the peer once after start (INITIAL_CONTACT)", name());
        initiate(START_CONTACT_GIVE_UP);
        startContact = current;
    }

    /** Starts an IKE SA as initiator unless one is already up or being set up. */
    synchronized void initiate() {
        initiate(null);
    }

    private void initiate(Duration giveUp) {
        if (stopped || current != null || definition.peerAddress() == null) {
            return;
        }
        phase = "Connecting";
        attempts++;
        IkeSa sa = engine.newInitiatorSa(this);
        current = sa;
        InetSocketAddress peer = new InetSocketAddress(definition.peerAddress(), definition.peerPort());
        Algorithms.Group group = definition.ikeProposals().getFirst().groups().getFirst();
        sa.executor.execute(() -> sa.startInitiator(peer, group, giveUp));
    }

    ResponderNarrowing narrowing() {
        return narrowing;
    }

    /** Package-private: tests imitate a peer that keeps one subnet pair per Child SA (strongSwan children). */
    void narrowing(ResponderNarrowing n) {
        narrowing = n;
    }

    synchronized void onIkeEstablished(IkeSa sa, boolean peerSentInitialContact) {
        if (sa == startContact) {
            startContact = null;
        }
        IkeSa old = current;
        current = sa;
        missingChildren = List.of();
        attempts = 0;
        phase = "Connecting";
        if (peerSentInitialContact) {
            // RFC 7296 section 2.4: the peer restarted, so every other IKE SA with it is stale: drop them at once.
            engine.dropOtherSas(this, sa);
        } else if (old != null && old != sa) {
            // Both sides initiated: keep the newest SA only.
            LOG.info("tunnel {}: replacing IKE SA {} with {}", name(), IkeSa.hex(old.localSpi), IkeSa.hex(sa.localSpi));
            old.executor.execute(old::sendDeleteAndClose);
        }
        engine.listener().tunnelUp(name(), true);
    }

    /** The IKE SA was rekeyed: its successor carries the tunnel from now on (no reconnect, no phase change). */
    synchronized void onIkeRekeyed(IkeSa old, IkeSa next) {
        if (current == old) {
            current = next;
        }
    }

    synchronized void onChildChanged(IkeSa sa) {
        if (sa != current) {
            return;
        }
        phase = sa.children.isEmpty() || !missingChildren.isEmpty() ? "Degraded" : "Established";
        if (!sa.children.isEmpty() && missingChildren.isEmpty()) {
            lastError = null;
            lastErrorReason = null;
        }
    }

    /**
     * The IKE SA tried every subnet pair no Child SA carried; {@code refusals} (one message per pair, naming the
     * subnets) stay without a Child SA until the next IKE SA tries again. Empty: every pair is carried.
     */
    synchronized void noteMissingChildren(IkeSa sa, List<String> refusals) {
        if (sa != current) {
            return;
        }
        missingChildren = List.copyOf(refusals);
        if (!missingChildren.isEmpty()) {
            lastErrorReason = lastErrorReason == null ? "child_missing" : lastErrorReason;
            lastError = String.join("; ", missingChildren);
            lastErrorAt = Instant.now();
        }
        onChildChanged(sa);
    }

    synchronized void onIkeClosed(IkeSa sa, boolean notify) {
        if (sa != current) {
            return;
        }
        current = null;
        engine.listener().tunnelUp(name(), false);
        if (sa == startContact) {
            startContact = null;
            if ("timeout".equals(lastErrorReason)) {
                // A Passive tunnel's peer that did not answer the start contact is not an error: it may not be up yet.
                lastErrorReason = null;
                lastError = null;
                lastErrorAt = null;
            }
        }
        if (stopped) {
            phase = "Pending";
            return;
        }
        phase = lastError != null && attempts > 2 ? "Failed" : "Connecting";
        if (definition.passive() || definition.initiation() == dev.strait.api.v1alpha1.TunnelSpec.Initiation.OnTraffic) {
            phase = lastError != null ? "Failed" : "Pending";
            return;
        }
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        Duration max = engine.settings().reconnectMax();
        long base = Math.min(max.toMillis(), 1000L << Math.min(attempts, 10));
        long jittered = (long) (base * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
        LOG.info("tunnel {}: reconnecting in {} ms", name(), jittered);
        engine.listener().reconnect(name());
        if (reconnect != null) {
            reconnect.cancel(false);
        }
        reconnect = engine.timer(this::initiate, Duration.ofMillis(jittered));
    }

    synchronized void noteError(String reason, String message) {
        lastErrorReason = reason;
        lastError = message;
        lastErrorAt = Instant.now();
    }

    /** Stops the tunnel: the IKE SA is deleted with an INFORMATIONAL DELETE. */
    synchronized void stop() {
        stopped = true;
        if (reconnect != null) {
            reconnect.cancel(false);
        }
        IkeSa sa = current;
        if (sa != null) {
            sa.executor.execute(sa::sendDeleteAndClose);
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

    synchronized void retire(dev.strait.gateway.datapath.Datapath.SaCounters k) {
        if (k != null) {
            retiredBytesIn += k.bytesIn();
            retiredBytesOut += k.bytesOut();
            retiredPacketsIn += k.packetsIn();
            retiredPacketsOut += k.packetsOut();
        }
    }

    synchronized TunnelSnapshot snapshot() {
        IkeSa sa = current;
        TunnelSnapshot.Totals retired = new TunnelSnapshot.Totals(retiredBytesIn, retiredBytesOut, retiredPacketsIn, retiredPacketsOut);
        return TunnelSnapshot.of(definition, phase, lastErrorReason, lastError, lastErrorAt, sa, engine, retired);
    }
}
