package dev.strait.gateway.ike.sa;

import static dev.strait.gateway.ike.sa.IkeSa.hex32;

import dev.strait.gateway.ike.sa.IkeSa.Child;
import dev.strait.gateway.ike.sa.IkeSa.State;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When one IKE SA and its Child SAs are rekeyed, replaced or probed: time lifetimes (RFC 7296 section 2.8), byte and
 * packet lifetimes of the Child SAs, and liveness checks after idle time (section 2.4). Only schedules; the
 * exchanges themselves are the SA's. Runs on the SA's executor.
 */
final class SaLifetimes {
    private static final Logger LOG = LoggerFactory.getLogger(SaLifetimes.class);
    /** How often a Child SA with byte/packet lifetimes reads its datapath counters (lock-free reads). */
    private static final Duration VOLUME_CHECK_PERIOD = Duration.ofMillis(500);

    private final IkeSaContext ikeSa;
    private final IkeEngine engine;
    private final TaskManager tasks;
    private final SaTimers timers;

    SaLifetimes(IkeSaContext ikeSa, IkeEngine engine, TaskManager tasks, SaTimers timers) {
        this.ikeSa = ikeSa;
        this.engine = engine;
        this.tasks = tasks;
        this.timers = timers;
    }

    void scheduleChildLifetime(Child c) {
        List<Clock.Timer> own = timers.ofChild(c.inboundSpi());
        if (c.rekeyAt() != null) {
            own.add(timers.after(untilOrZero(c.rekeyAt()), () -> ikeSa.rekeyChild(c.inboundSpi(), null)));
        }
        if (c.expireAt() != null) {
            own.add(timers.after(untilOrZero(c.expireAt()), () -> onChildExpired(c.inboundSpi())));
        }
        if (ikeSa.tunnel() != null && ikeSa.tunnel().definition().childVolume().any()) {
            own.add(watchChildVolume(c, ikeSa.tunnel().definition().childVolume().forNewChild()));
        }
    }

    /** Byte/packet lifetimes: poll the Child SA's counters; rekey at the soft limit, replace the IKE SA at the hard one. */
    private Clock.Timer watchChildVolume(Child c, VolumeLimits.Thresholds limits) {
        boolean[] rekeyStarted = {false};
        return timers.every(VOLUME_CHECK_PERIOD, () -> {
            if (ikeSa.state() == State.CLOSED || ikeSa.state() == State.REKEYED || ikeSa.childByInbound(c.inboundSpi()) == null) {
                return; // cancelled with the Child SA
            }
            dev.strait.gateway.datapath.spi.Datapath.SaCounters k = engine.datapath().counters(c.inboundSpi());
            if (k == null) {
                return;
            }
            switch (limits.check(Math.max(k.bytesIn(), k.bytesOut()), Math.max(k.packetsIn(), k.packetsOut()))) {
                case REKEY -> {
                    if (!rekeyStarted[0]) {
                        rekeyStarted[0] = true;
                        LOG.info("tunnel {}: Child SA {} reached its byte/packet rekey limit", ikeSa.name(), hex32(c.inboundSpi()));
                        ikeSa.rekeyChild(c.inboundSpi(), null);
                    }
                }
                case EXHAUSTED -> onChildExpired(c.inboundSpi());
                case WITHIN -> { }
            }
        });
    }

    private Duration untilOrZero(Instant at) {
        Duration d = Duration.between(engine.clock().now(), at);
        return d.isNegative() ? Duration.ZERO : d;
    }

    private void onChildExpired(int inboundSpi) {
        if (ikeSa.state() != State.ESTABLISHED || ikeSa.childByInbound(inboundSpi) == null) {
            return;
        }
        LOG.warn("tunnel {}: Child SA {} reached its hard lifetime without a successful rekey; replacing the IKE SA",
                ikeSa.name(), hex32(inboundSpi));
        ikeSa.tunnel().noteError(FailureReason.REKEY_FAILED, "Child SA was not rekeyed before its hard lifetime");
        ikeSa.sendDeleteAndClose();
    }

    void scheduleIkeLifetime() {
        Duration life = ikeSa.tunnel() == null ? Duration.ZERO : ikeSa.tunnel().definition().ikeRekeyAfter();
        if (life.isZero()) {
            return;
        }
        timers.after(Lifetimes.rekeyAfter(life), () -> ikeSa.rekeyIke(null));
        timers.after(Lifetimes.hardLimit(life), () -> {
            if (ikeSa.state() == State.ESTABLISHED) {
                LOG.warn("tunnel {}: IKE SA reached its hard lifetime without a successful rekey", ikeSa.name());
                ikeSa.tunnel().noteError(FailureReason.REKEY_FAILED, "IKE SA was not rekeyed before its hard lifetime");
                ikeSa.sendDeleteAndClose();
            }
        });
    }

    /**
     * NAT keepalives (RFC 3948 section 4) while ESP goes in UDP (a NAT was detected or encapsulation is forced): once
     * none of the SA's Child SAs sent a packet for a whole interval, one 0xFF byte keeps a NAT's mapping to our 4500
     * alive, like strongSwan's keep_alive. The counters are read 20 times per interval, so a keepalive follows the
     * last packet out after the interval plus at most a twentieth of it. Scheduled with the SA; an IKE rekey's
     * successor schedules its own.
     */
    void scheduleNatKeepalive() {
        Duration interval = engine.settings().natKeepalive();
        if (interval == null || interval.isZero() || !ikeSa.udpEncap()) {
            return;
        }
        long[] lastOut = {-1, engine.clock().nanoTime()}; // packets out at the last look, and when something last left
        timers.every(interval.dividedBy(20), () -> {
            if (ikeSa.state() != State.ESTABLISHED) {
                return;
            }
            long out = 0;
            for (Child c : ikeSa.children()) {
                dev.strait.gateway.datapath.spi.Datapath.SaCounters k = engine.datapath().counters(c.inboundSpi());
                out += k == null ? 0 : k.packetsOut();
            }
            long now = engine.clock().nanoTime();
            if (out != lastOut[0]) {
                lastOut[0] = out;
                lastOut[1] = now;
            } else if (now - lastOut[1] >= interval.toNanos()) {
                engine.sendNatKeepalive(ikeSa.espPeer());
                lastOut[1] = now;
            }
        });
    }

    void scheduleDpd() {
        if (ikeSa.tunnel() == null || ikeSa.tunnel().definition().dpdInterval().isZero()) {
            return;
        }
        Duration interval = ikeSa.tunnel().definition().dpdInterval();
        timers.every(interval, () -> {
            long idle = engine.clock().nanoTime() - Math.max(ikeSa.lastInbound(), engine.lastEspInbound(ikeSa));
            if (ikeSa.state() == State.ESTABLISHED && !tasks.busy() && idle >= interval.toNanos()) {
                ikeSa.sendLivenessCheck();
            }
        });
    }
}
