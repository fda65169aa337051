package dev.strait.operator.reconcile;

import dev.strait.operator.config.RenderedGateway;
import dev.strait.operator.config.TunnelValidator;
import dev.strait.operator.config.Verdict;
import dev.strait.operator.crd.IPsecTunnel;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Each tunnel's ConfigValid condition from its verdict, written only where it changed. */
final class TunnelConditions {
    private static final int WRITES_IN_FLIGHT = 16;
    private static final Logger LOG = LoggerFactory.getLogger(TunnelConditions.class);

    private TunnelConditions() {
    }

    static void write(KubernetesClient client, String gateway, RenderedGateway rendered) {
        List<Runnable> writes = new ArrayList<>();
        for (IPsecTunnel t : rendered.active()) {
            Verdict v = rendered.verdicts().get(t.getMetadata().getName());
            if (v instanceof Verdict.Refused r) {
                if (!TunnelStatusWriter.upToDate(t, false, r.reason().name(), r.message())) {
                    // The message names fields and Secrets, never their contents.
                    LOG.info("tunnel {}/{} refused: {} {}", t.getMetadata().getNamespace(), t.getMetadata().getName(),
                            r.reason(), r.message());
                    writes.add(() -> TunnelStatusWriter.write(client, t, false, r.reason().name(), r.message()));
                }
            } else {
                String msg = "rendered into the config of gateway '" + gateway + "'"
                        + (TunnelValidator.usesClusterPodCidrs(t.getSpec()) ? "; local.subnets: "
                        + String.join(", ", rendered.clusterPodCidrs()) + " (the cluster's pod CIDR)" : "");
                if (!TunnelStatusWriter.upToDate(t, true, "Valid", msg)) {
                    writes.add(() -> TunnelStatusWriter.write(client, t, true, "Valid", msg));
                }
            }
        }
        runConcurrently(writes);
    }

    /** Status writes are independent round trips; a few in flight at once keep a 100-tunnel gateway quick. */
    private static void runConcurrently(List<Runnable> writes) {
        if (writes.size() <= 1) {
            writes.forEach(Runnable::run);
            return;
        }
        Semaphore inFlight = new Semaphore(WRITES_IN_FLIGHT);
        try (var exec = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (Runnable w : writes) {
                done.add(exec.submit(() -> {
                    inFlight.acquireUninterruptibly();
                    try {
                        w.run();
                    } finally {
                        inFlight.release();
                    }
                }));
            }
            for (var f : done) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
    }
}
