package dev.strait.gateway.kube;

import dev.strait.api.v1alpha1.TunnelStatus;
import dev.strait.gateway.ike.sa.TunnelSnapshot;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Turns a {@link TunnelSnapshot} into the gateway's part of an IPsecTunnel status, merged into what is on the
 * server. Ownership rule (shared with the operator's TunnelStatusWriter):
 * <ul>
 *   <li>{@code ConfigValid} belongs to the operator and is copied through untouched;</li>
 *   <li>{@code phase} belongs to the operator while ConfigValid is False (it writes Failed), and to the gateway
 *       otherwise (the operator only seeds Pending when a tunnel becomes valid);</li>
 *   <li>{@code Ready}, {@code IkeEstablished}, {@code ChildEstablished}, {@code ike}, {@code children},
 *       {@code lastError}, {@code observedGeneration} (the generation the gateway runs) and {@code reportedBy}
 *       belong to the gateway.</li>
 * </ul>
 * Pure: no I/O, so the merge rules are testable on their own.
 */
public final class StatusRenderer {
    public static final String CONFIG_VALID = "ConfigValid";
    public static final String READY = "Ready";
    public static final String IKE_ESTABLISHED = "IkeEstablished";
    public static final String CHILD_ESTABLISHED = "ChildEstablished";
    public static final String ESTABLISHED = "Established";

    private StatusRenderer() {
    }

    /** A new status: {@code current} (may be null) with the gateway's fields replaced from {@code snap}. */
    public static TunnelStatus merge(TunnelStatus current, TunnelSnapshot snap, String reporter, Instant now) {
        TunnelStatus out = new TunnelStatus();
        List<TunnelStatus.Condition> old = current == null || current.conditions == null ? List.of() : current.conditions;
        TunnelStatus.Condition configValid = find(old, CONFIG_VALID);
        boolean refused = configValid != null && "False".equals(configValid.status);
        out.phase = refused ? current.phase : snap.phase();
        out.ike = ike(snap.ike());
        out.children = snap.children() == null ? new ArrayList<>() : new ArrayList<>(snap.children().stream()
                .map(StatusRenderer::child).toList());
        out.observedGeneration = snap.generation() != null ? snap.generation()
                : current == null ? null : current.observedGeneration;
        out.lastError = snap.lastError();
        out.reportedBy = reporter;

        boolean ikeUp = snap.ike() != null && ESTABLISHED.equalsIgnoreCase(snap.ike().state());
        boolean childUp = ikeUp && !out.children.isEmpty();
        String phase = snap.phase() == null ? "Pending" : snap.phase();
        String reason = snap.lastErrorReason() != null ? snap.lastErrorReason() : phase;
        String error = snap.lastError();
        out.conditions = new ArrayList<>();
        // ConfigValid (and any condition we do not know) first and untouched.
        for (TunnelStatus.Condition c : old) {
            if (!List.of(READY, IKE_ESTABLISHED, CHILD_ESTABLISHED).contains(c.type)) {
                out.conditions.add(c);
            }
        }
        boolean ready = ESTABLISHED.equals(phase) && childUp;
        out.conditions.add(condition(old, READY, ready, ready ? ESTABLISHED : reason,
                ready ? "traffic flows through " + out.children.size() + " Child SA(s)"
                        : error != null ? error : "tunnel is " + phase, snap.generation(), now));
        out.conditions.add(condition(old, IKE_ESTABLISHED, ikeUp, ikeUp ? ESTABLISHED : reason,
                ikeUp ? "IKE SA with " + snap.ike().remoteAddress() + " (" + snap.ike().proposal() + ")"
                        : error != null ? error : snap.ike() == null ? "no IKE SA" : "IKE SA is " + snap.ike().state(),
                snap.generation(), now));
        out.conditions.add(condition(old, CHILD_ESTABLISHED, childUp, childUp ? ESTABLISHED : reason,
                childUp ? out.children.size() + " Child SA(s) installed"
                        : error != null ? error : "no Child SA", snap.generation(), now));
        return out;
    }

    /** What decides whether a write is needed: everything but byte/packet/drop counters. */
    public static TunnelStatus withoutCounters(TunnelStatus s) {
        if (s == null) {
            return null;
        }
        TunnelStatus c = StatusJson.copy(s);
        if (c.children != null) {
            for (TunnelStatus.ChildStatus ch : c.children) {
                ch.bytesIn = ch.bytesOut = ch.packetsIn = ch.packetsOut = null;
                ch.drops = null;
            }
        }
        if (c.ike != null) {
            c.ike.rttMillis = null; // a measurement like the counters: a new sample alone does not warrant a write
        }
        return c;
    }

    private static TunnelStatus.Condition condition(List<TunnelStatus.Condition> old, String type, boolean ok,
            String reason, String message, Long generation, Instant now) {
        TunnelStatus.Condition prev = find(old, type);
        TunnelStatus.Condition c = new TunnelStatus.Condition();
        c.type = type;
        c.status = ok ? "True" : "False";
        c.reason = reason;
        c.message = message;
        c.observedGeneration = generation;
        c.lastTransitionTime = prev != null && Objects.equals(prev.status, c.status) && prev.lastTransitionTime != null
                ? prev.lastTransitionTime : now.truncatedTo(ChronoUnit.SECONDS).toString();
        return c;
    }

    static TunnelStatus.Condition find(List<TunnelStatus.Condition> conditions, String type) {
        return conditions == null ? null
                : conditions.stream().filter(c -> type.equals(c.type)).findFirst().orElse(null);
    }

    private static TunnelStatus.IkeStatus ike(TunnelSnapshot.Ike s) {
        if (s == null) {
            return null;
        }
        TunnelStatus.IkeStatus i = new TunnelStatus.IkeStatus();
        i.state = s.state();
        i.role = s.role();
        i.spiInitiator = s.spiInitiator();
        i.spiResponder = s.spiResponder();
        i.proposal = s.proposal();
        i.localAddress = s.localAddress();
        i.remoteAddress = s.remoteAddress();
        i.natDetected = s.natDetected();
        i.udpEncapsulation = s.udpEncapsulation();
        i.establishedAt = s.establishedAt();
        i.rttMillis = s.rttSeconds() == null ? null : Math.round(s.rttSeconds() * 1e6) / 1e3;
        return i;
    }

    private static TunnelStatus.ChildStatus child(TunnelSnapshot.Child s) {
        TunnelStatus.ChildStatus c = new TunnelStatus.ChildStatus();
        c.localSubnets = s.localSubnets();
        c.remoteSubnets = s.remoteSubnets();
        c.proposal = s.proposal();
        c.spiIn = s.spiIn();
        c.spiOut = s.spiOut();
        c.bytesIn = s.bytesIn();
        c.bytesOut = s.bytesOut();
        c.packetsIn = s.packetsIn();
        c.packetsOut = s.packetsOut();
        c.drops = s.drops() == null || s.drops().isEmpty() ? null : new java.util.TreeMap<>(s.drops());
        c.establishedAt = s.establishedAt();
        return c;
    }
}
