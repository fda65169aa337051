package dev.strait.operator.reconcile;

import dev.strait.api.v1alpha1.GatewayStatus;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Map;
import java.util.Objects;

/**
 * The active/standby part of an IPsecGateway's status, read from the gateway's Lease: its holder and the node the
 * holder noted on it ({@code strait.dev/node}), its transitions, and the last failover as the replica that took over
 * measured it ({@code strait.dev/last-failover}). Pure. The names are the gateway's (ActiveStandby, FailoverRecorder).
 */
final class LeaseStatus {
    static final String NODE_ANNOTATION = "strait.dev/node";
    static final String FAILOVER_ANNOTATION = "strait.dev/last-failover";

    private LeaseStatus() {
    }

    /** Sets active, failovers and lastFailover from the lease (null: one replica, or no lease yet: all left null). */
    static void fill(GatewayStatus status, Lease lease) {
        status.active = null;
        status.failovers = null;
        status.lastFailover = null;
        if (lease == null || lease.getSpec() == null) {
            return;
        }
        Map<String, String> annotations = lease.getMetadata().getAnnotations() == null ? Map.of()
                : lease.getMetadata().getAnnotations();
        String holder = lease.getSpec().getHolderIdentity();
        if (holder != null && !holder.isEmpty()) {
            status.active = new GatewayStatus.Active();
            status.active.pod = holder;
            status.active.node = annotations.get(NODE_ANNOTATION);
            status.active.since = lease.getSpec().getAcquireTime() == null ? null
                    : lease.getSpec().getAcquireTime().toInstant().toString();
        }
        status.failovers = lease.getSpec().getLeaseTransitions() == null ? 0 : lease.getSpec().getLeaseTransitions();
        String last = annotations.get(FAILOVER_ANNOTATION);
        if (last != null) {
            try {
                status.lastFailover = Serialization.unmarshal(last, GatewayStatus.LastFailover.class);
            } catch (RuntimeException e) {
                status.lastFailover = null; // written by a gateway of another version: leave it out
            }
        }
    }

    /** What the status shows of a lease, for filtering the renewals (every second) out of the event stream. */
    static boolean sameShown(Lease a, Lease b) {
        return Objects.equals(view(a), view(b));
    }

    private static String view(Lease l) {
        GatewayStatus s = new GatewayStatus();
        fill(s, l);
        return Serialization.asJson(new Object[] {s.active, s.failovers, s.lastFailover});
    }

    static boolean same(GatewayStatus a, GatewayStatus b) {
        return Objects.equals(Serialization.asJson(new Object[] {a.active, a.failovers, a.lastFailover}),
                Serialization.asJson(new Object[] {b.active, b.failovers, b.lastFailover}));
    }
}
