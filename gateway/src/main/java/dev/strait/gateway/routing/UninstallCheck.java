package dev.strait.gateway.routing;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Tells an uninstall from a restart when the agent gets SIGTERM. A restart (rolling update, node drain, crash) must
 * leave the routes in place so traffic keeps flowing; an uninstall must leave nothing. The difference: on uninstall
 * the agent's DaemonSet is gone or being deleted. The check is one GET with the client's fail-fast timeouts (5 s),
 * well inside the pod's termination grace period.
 */
public final class UninstallCheck {
    private UninstallCheck() {
    }

    /** Without a DaemonSet name (an agent not started by the chart) it never cleans up by itself. */
    public static boolean uninstalling(KubernetesClient client, String namespace, String daemonSet) {
        if (daemonSet == null || daemonSet.isBlank() || namespace == null || namespace.isBlank()) {
            return false;
        }
        try {
            DaemonSet d = client.apps().daemonSets().inNamespace(namespace).withName(daemonSet).get();
            return d == null || d.getMetadata().getDeletionTimestamp() != null;
        } catch (KubernetesClientException e) {
            // helm uninstall deletes the agent's ServiceAccount and Role with its DaemonSet: a refused token means
            // the release is gone. An unreachable API server (code 0, 5xx) is not an uninstall: keep the routes.
            return e.getCode() == 401 || e.getCode() == 403 || e.getCode() == 404;
        }
    }
}
