package dev.strait.operator.reconcile;

import dev.strait.api.v1alpha1.GatewayStatus;
import dev.strait.api.v1alpha1.TunnelStatus;
import dev.strait.operator.crd.IPsecGateway;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The IPsecGateway's status: the tunnel count, the conditions ConfigRendered, then RoutesReady, and the active
 * replica and failovers from the gateway's Lease. Nothing is
 * written when every condition already reads the same; a condition keeps its lastTransitionTime while its status
 * stays.
 */
final class GatewayStatusUpdate {
    static final String CONFIG_RENDERED = "ConfigRendered";

    private GatewayStatusUpdate() {
    }

    /** The spec itself is refused: nothing was rendered, the tunnel count stays. */
    static UpdateControl<IPsecGateway> specRefused(IPsecGateway gw, String error, TunnelStatus.Condition routesReady,
                                                   Lease lease) {
        return of(gw, null, configRendered("False", "InvalidSpec", error), routesReady, lease);
    }

    static UpdateControl<IPsecGateway> rendered(IPsecGateway gw, int accepted, int active,
                                                TunnelStatus.Condition routesReady, Lease lease) {
        return of(gw, accepted, configRendered("True", accepted == active ? "AllTunnelsValid" : "SomeTunnelsInvalid",
                accepted + " of " + active + " tunnels in the config"), routesReady, lease);
    }

    private static TunnelStatus.Condition configRendered(String status, String reason, String message) {
        TunnelStatus.Condition c = new TunnelStatus.Condition();
        c.type = CONFIG_RENDERED;
        c.status = status;
        c.reason = reason;
        c.message = message;
        return c;
    }

    private static UpdateControl<IPsecGateway> of(IPsecGateway gw, Integer accepted,
                                                  TunnelStatus.Condition configRendered,
                                                  TunnelStatus.Condition routesReady, Lease lease) {
        GatewayStatus desired = new GatewayStatus();
        desired.tunnels = accepted != null ? accepted : gw.getStatus() == null ? null : gw.getStatus().tunnels;
        desired.observedGeneration = gw.getMetadata().getGeneration();
        desired.conditions = new ArrayList<>(List.of(configRendered, routesReady));
        LeaseStatus.fill(desired, lease);
        GatewayStatus current = gw.getStatus();
        List<TunnelStatus.Condition> now = current == null || current.conditions == null ? List.of() : current.conditions;
        String time = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        boolean same = current != null && Objects.equals(current.tunnels, desired.tunnels)
                && Objects.equals(current.observedGeneration, desired.observedGeneration)
                && LeaseStatus.same(current, desired)
                && now.size() == desired.conditions.size();
        for (TunnelStatus.Condition c : desired.conditions) {
            c.observedGeneration = gw.getMetadata().getGeneration();
            TunnelStatus.Condition old = now.stream().filter(x -> Objects.equals(x.type, c.type)).findFirst().orElse(null);
            same &= old != null && Objects.equals(old.status, c.status) && Objects.equals(old.reason, c.reason)
                    && Objects.equals(old.message, c.message);
            c.lastTransitionTime = old != null && Objects.equals(old.status, c.status) && old.lastTransitionTime != null
                    ? old.lastTransitionTime : time;
        }
        if (same) {
            return UpdateControl.noUpdate();
        }
        IPsecGateway patch = new IPsecGateway();
        patch.setMetadata(new ObjectMetaBuilder().withName(gw.getMetadata().getName())
                .withNamespace(gw.getMetadata().getNamespace()).build());
        patch.setStatus(desired);
        return UpdateControl.patchStatus(patch);
    }
}
