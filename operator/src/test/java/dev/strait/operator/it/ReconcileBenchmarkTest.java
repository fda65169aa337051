package dev.strait.operator.it;

import static dev.strait.operator.Fixtures.gateway;
import static dev.strait.operator.Fixtures.psk;
import static dev.strait.operator.Fixtures.tunnel;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.gateway.testing.TestApiServer;
import dev.strait.operator.OperatorMetrics;
import dev.strait.operator.StraitOperator;
import dev.strait.operator.crd.IPsecTunnel;
import dev.strait.operator.resources.GatewayResources;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 500 tunnels across 5 gateways: time from operator start to every config rendered and every tunnel
 * ConfigValid, then the latency of one tunnel change in steady state. Excluded by default; run with
 * {@code ./mvnw -pl operator -am test -Dgroups=benchmark -DexcludedGroups= -Dtest=ReconcileBenchmarkTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("benchmark")
class ReconcileBenchmarkTest {
    static final int GATEWAYS = 5;
    static final int PER_GATEWAY = 100;
    static final String NS = "bench";

    @Test
    void coldStartAndSteadyStateUpdate() throws Exception {
        try (TestApiServer api = TestApiServer.start()) {
            KubernetesClient client = api.client();
            api.installGeneratedCrds(TestApiServer.TUNNEL_CRD, TestApiServer.GATEWAY_CRD);
            api.createNamespace(NS);
            client.resource(psk(NS, "psk", "benchmark-pre-shared-key-0123456789")).create();
            for (int g = 0; g < GATEWAYS; g++) {
                client.resource(gateway(NS, "gw" + g, 1)).create();
                for (int i = 0; i < PER_GATEWAY; i++) {
                    client.resource(tunnel(NS, "gw" + g + "-t" + i, "gw" + g, "psk",
                            "10." + g + "." + i + ".0/24")).create();
                }
            }
            long start = System.nanoTime();
            try (StraitOperator op = new StraitOperator(client, "img:bench", null, new OperatorMetrics()).start()) {
                long started = System.nanoTime() - start;
                waitFor(() -> config(client, "gw0") != null || config(client, "gw4") != null);
                System.out.printf("BENCH operator started (informers synced) after %d ms, first config after %d ms%n",
                        ms(started), ms(System.nanoTime() - start));
                waitFor(() -> {
                    for (int g = 0; g < GATEWAYS; g++) {
                        GatewayConfig c = config(client, "gw" + g);
                        if (c == null || c.tunnels.size() != PER_GATEWAY) {
                            return false;
                        }
                    }
                    return true;
                });
                long configs = System.nanoTime() - start;
                waitFor(() -> client.resources(IPsecTunnel.class).inNamespace(NS).list().getItems().stream()
                        .allMatch(t -> t.getStatus() != null && "Pending".equals(t.getStatus().phase)));
                long statuses = System.nanoTime() - start;
                System.out.printf("BENCH cold start: %d tunnels / %d gateways: all configs %d ms, all statuses %d ms%n",
                        GATEWAYS * PER_GATEWAY, GATEWAYS, ms(configs), ms(statuses));

                for (int round = 0; round < 5; round++) {
                    String subnet = "172.16." + round + ".0/24";
                    long t0 = System.nanoTime();
                    // a merge patch carries no resourceVersion: the operator's status writes cannot turn it into a 409
                    client.resources(IPsecTunnel.class).inNamespace(NS).withName("gw2-t7").patch(
                            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                            "{\"spec\":{\"remote\":{\"subnets\":[\"" + subnet + "\"]}}}");
                    waitFor(() -> config(client, "gw2").tunnels.stream()
                            .anyMatch(t -> t.name.equals("gw2-t7") && t.remote.subnets.equals(List.of(subnet))));
                    System.out.printf("BENCH steady-state update %d: config re-rendered after %d ms%n", round,
                            ms(System.nanoTime() - t0));
                }
                System.out.println("BENCH " + op.metrics().registry().scrape().lines()
                        .filter(l -> l.startsWith("strait_reconcile_duration_seconds_count")
                                || l.startsWith("strait_reconcile_duration_seconds_sum")).toList());
            }
        }
    }

    static GatewayConfig config(KubernetesClient client, String gw) {
        Secret s = client.secrets().inNamespace(NS).withName(GatewayResources.configSecretName(gw)).get();
        if (s == null) {
            return null;
        }
        try {
            return dev.strait.gateway.config.ConfigLoader.parse(new String(
                    Base64.getDecoder().decode(s.getData().get(GatewayResources.CONFIG_KEY)), StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static void waitFor(BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("benchmark did not converge in 3 minutes");
            }
            Thread.sleep(20);
        }
    }

    static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
