package dev.strait.operator.reconcile;

import dev.strait.api.v1alpha1.TunnelStatus;
import dev.strait.operator.crd.IPsecTunnel;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * Writes the operator's part of a tunnel's status: the ConfigValid condition, and the phase while the gateway has
 * not taken over (Pending when valid, Failed when not). Other conditions belong to the gateway and are kept.
 * The rule both sides follow (gateway: dev.strait.gateway.kube.StatusRenderer): the operator owns ConfigValid, and
 * phase while ConfigValid is False; the gateway owns phase otherwise, plus Ready/IkeEstablished/ChildEstablished,
 * ike, children, lastError, reportedBy and observedGeneration (the generation it runs).
 */
final class TunnelStatusWriter {
    static final String CONFIG_VALID = "ConfigValid";
    static final String PENDING = "Pending";
    static final String FAILED = "Failed";

    private TunnelStatusWriter() {
    }

    /** @return true if a write was needed */
    static boolean write(KubernetesClient client, IPsecTunnel cached, boolean valid, String reason, String message) {
        if (upToDate(cached, valid, reason, message)) {
            return false;
        }
        // editStatus reads the latest version and patches against it; a concurrent writer (the gateway, JOSDK adding
        // the finalizer) makes that 409, and a re-read is the fix.
        for (int attempt = 1; ; attempt++) {
            try {
                client.resources(IPsecTunnel.class).inNamespace(cached.getMetadata().getNamespace())
                        .withName(cached.getMetadata().getName())
                        .editStatus(fresh -> {
                            apply(fresh, valid, reason, message);
                            return fresh;
                        });
                return true;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) { // deleted meanwhile: nothing to report on
                    return true;
                }
                if (e.getCode() != 409 || attempt == 3) {
                    throw e;
                }
            }
        }
    }

    static boolean upToDate(IPsecTunnel t, boolean valid, String reason, String message) {
        TunnelStatus s = t.getStatus();
        if (s == null || s.conditions == null) {
            return false;
        }
        TunnelStatus.Condition c = find(s);
        return c != null && Objects.equals(c.status, valid ? "True" : "False") && Objects.equals(c.reason, reason)
                && Objects.equals(c.message, message)
                && Objects.equals(c.observedGeneration, t.getMetadata().getGeneration())
                && (valid ? s.phase != null && !FAILED.equals(s.phase) : FAILED.equals(s.phase));
    }

    static void apply(IPsecTunnel t, boolean valid, String reason, String message) {
        if (t.getStatus() == null) {
            t.setStatus(new TunnelStatus());
        }
        TunnelStatus s = t.getStatus();
        if (s.conditions == null) {
            s.conditions = new java.util.ArrayList<>();
        }
        TunnelStatus.Condition c = find(s);
        String status = valid ? "True" : "False";
        boolean wasValid = c != null && "True".equals(c.status);
        if (c == null) {
            c = new TunnelStatus.Condition();
            c.type = CONFIG_VALID;
            s.conditions.add(c);
        }
        if (!status.equals(c.status)) {
            c.lastTransitionTime = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        }
        c.status = status;
        c.reason = reason;
        c.message = message;
        c.observedGeneration = t.getMetadata().getGeneration();
        if (!valid) {
            s.phase = FAILED;
        } else if (s.phase == null || !wasValid || FAILED.equals(s.phase)) {
            // From here on the gateway reports Connecting/Established.
            s.phase = PENDING;
        }
        s.observedGeneration = t.getMetadata().getGeneration();
    }

    static boolean hasReason(IPsecTunnel t, String reason) {
        return t.getStatus() != null && t.getStatus().conditions != null
                && t.getStatus().conditions.stream().anyMatch(c -> CONFIG_VALID.equals(c.type) && reason.equals(c.reason));
    }

    private static TunnelStatus.Condition find(TunnelStatus s) {
        return s.conditions.stream().filter(c -> CONFIG_VALID.equals(c.type)).findFirst().orElse(null);
    }
}
