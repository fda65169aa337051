package dev.strait.gateway.kube;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pods of one gateway, as kubelet reports them: tells a standby that the lease holder's process is gone long
 * before its lease expires. A container that kubelet saw die (SIGKILL, OOM, crash) shows as terminated or waiting
 * within a second or two, or, once restarted, as running since after the lease was taken, which means the process
 * that took it is gone (a restarted process takes the lease afresh, see {@link ActiveStandby}).
 */
public final class GatewayPods implements ActiveStandby.HolderCheck, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayPods.class);
    /** As the operator labels gateway pods and names their container. */
    public static final String GATEWAY_LABEL = "strait.dev/gateway";
    public static final String CONTAINER = "gateway";

    private final String namespace;
    private final SharedIndexInformer<Pod> informer;

    /** @param onChange called on every pod change (a standby then looks at the lease again) */
    public GatewayPods(KubernetesClient client, String namespace, String gateway, Runnable onChange) {
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.informer = client.pods().inNamespace(namespace).withLabel(GATEWAY_LABEL, gateway).runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod p) {
                onChange.run();
            }

            @Override
            public void onUpdate(Pod before, Pod after) {
                onChange.run();
            }

            @Override
            public void onDelete(Pod p, boolean unknownFinalState) {
                onChange.run();
            }
        });
        informer.exceptionHandler((started, t) -> {
            LOG.warn("watching gateway pods in {} failed, retrying: {}", namespace, t.toString());
            return true;
        });
        informer.start();
    }

    @Override
    public boolean dead(Lease lease) {
        if (!informer.hasSynced() || lease.getSpec() == null) {
            return false;
        }
        String holder = lease.getSpec().getHolderIdentity();
        if (holder == null || holder.isEmpty()) {
            return false;
        }
        // A pod we do not know (not in the cache yet, or deleted after a clean hand-over) proves nothing.
        Pod pod = informer.getStore().getByKey(namespace + "/" + holder);
        return pod != null && processGone(pod, lease.getSpec().getAcquireTime() == null ? null
                : lease.getSpec().getAcquireTime().toInstant());
    }

    /**
     * Whether the process that took the lease at {@code acquired} no longer runs in the pod. Kubelet's times have
     * whole seconds: a restart within the second the lease was taken goes unnoticed (the lease then expires).
     */
    static boolean processGone(Pod pod, Instant acquired) {
        ContainerStatus c = pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null ? null
                : pod.getStatus().getContainerStatuses().stream().filter(s -> CONTAINER.equals(s.getName()))
                        .findFirst().orElse(null);
        if (c == null || c.getState() == null || acquired == null) {
            return false;
        }
        if (c.getState().getRunning() != null) {
            Instant started = time(c.getState().getRunning().getStartedAt());
            return started != null && started.isAfter(acquired);
        }
        // Terminated, or waiting to restart: dead, unless the lease was taken after that death (a stale status).
        var last = c.getState().getTerminated() != null ? c.getState().getTerminated()
                : c.getLastState() == null ? null : c.getLastState().getTerminated();
        Instant finished = last == null ? null : time(last.getFinishedAt());
        return finished == null || !finished.isBefore(acquired.truncatedTo(ChronoUnit.SECONDS));
    }

    private static Instant time(String rfc3339) {
        try {
            return rfc3339 == null ? null : Instant.parse(rfc3339);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    @Override
    public void close() {
        informer.close();
    }
}
