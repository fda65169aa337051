package dev.strait.gateway.routing;

import static dev.strait.gateway.routing.RouteLab.N1;
import static dev.strait.gateway.routing.RouteLab.N2;
import static dev.strait.gateway.routing.RouteLab.NODE_IP;
import static dev.strait.gateway.routing.RouteLab.P1;
import static dev.strait.gateway.routing.RouteLab.P2;
import static dev.strait.gateway.routing.RouteLab.REMOTE_HOST;
import static dev.strait.gateway.routing.RouteLab.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strait.gateway.testing.Privileged;
import dev.strait.gateway.testing.TestApiServer;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The whole agent (informers, loop, reconciler) on the two lab nodes, fed by a real kube-apiserver with the objects a
 * cluster would have: Nodes, an IPsecTunnel, two gateway pods and their leader Lease. Moving the lease re-points the
 * agents; deleting the tunnel removes the routes.
 */
@Tag("apiserver") // a separate, later surefire run: CI builds kube-apiserver meanwhile (gateway/pom.xml)
@Privileged
class RouteAgentApiTest {
    private static final String NS = "apps";
    private static final RoutingSettings SETTINGS = new RoutingSettings(RoutingSettings.Mode.Auto,
            RouteLab.TUNNEL_MTU, RoutingSettings.DEFAULT_VNI, RoutingSettings.DEFAULT_VXLAN_PORT);
    private static RouteLab lab;
    private static TestApiServer api;
    private static final List<AutoCloseable> running = new ArrayList<>();

    @BeforeAll
    static void up() throws IOException {
        assumeTrue(RouteLab.usable(), "needs iproute2, iptables-nft, tcpdump and iperf3");
        api = TestApiServer.start();
        api.createNamespace(NS);
        api.installCrds(Path.of("..", "crds"), TestApiServer.TUNNEL_CRD);
        lab = RouteLab.up();
        lab.tunnelOn(N1);
    }

    @AfterAll
    static void down() throws Exception {
        for (AutoCloseable c : running.reversed()) {
            c.close();
        }
        if (lab != null) {
            lab.close();
        }
        if (api != null) {
            api.close();
        }
    }

    @Test
    void agentsFollowTheLeaseAndTheTunnels() throws Exception {
        KubernetesClient client = api.client();
        for (String node : List.of(N1, N2)) {
            client.nodes().resource(ClusterViewsTest.node(node, NODE_IP.get(node),
                    "10.244." + (node.equals(N1) ? 1 : 2) + ".0/24")).create();
        }
        client.resource(ClusterViewsTest.pod("edge-a", "edge", N1, "Pending")).create();
        client.resource(ClusterViewsTest.pod("edge-b", "edge", N2, "Pending")).create();
        client.resource(lease("edge-a")).create();
        RouteAgent n2 = null;
        for (String node : List.of(N1, N2)) {
            RouteAgent a = startAgent(node);
            n2 = node.equals(N2) ? a : n2;
        }
        Instant added = Instant.now();
        client.resource(ClusterViewsTest.tunnel("site-a", "edge", List.of("10.244.0.0/16"), List.of("10.20.0.0/24")))
                .create();
        awaitRoute(N2, "via " + NODE_IP.get(N1));
        await(() -> owned(N1).contains("10.244.2.0/24"), "n1 routes the replies to n2's pods");
        System.out.println("agents converged " + Duration.between(added, Instant.now()).toMillis()
                + " ms after the tunnel was created");
        assertTrue(in(P2).run("ping", "-c", "2", "-W", "5", REMOTE_HOST).ok(), "pod on n2 -> remote via n1");
        try (HealthServer health = new HealthServer(new InetSocketAddress("127.0.0.1", 0), N2, n2::health)) {
            HttpResponse<String> ready = get(health, "/readyz");
            assertEquals(200, ready.statusCode(), ready.body());
            String status = get(health, "/status").body();
            assertTrue(status.contains("10.20.0.0/24 via " + NODE_IP.get(N1)), status);
        }

        // Failover: the tunnel comes up on n2 and its replica takes the lease.
        lab.tunnelOn(N2);
        Instant moved = Instant.now();
        client.resource(lease("edge-b")).update();
        awaitRoute(N1, "via " + NODE_IP.get(N2));
        System.out.println("agents re-pointed " + Duration.between(moved, Instant.now()).toMillis()
                + " ms after the lease changed hands");
        await(() -> !owned(N2).contains("10.20.0.0/24"), "n2 carries the tunnel itself: no agent route there");
        assertTrue(in(P1).run("ping", "-c", "2", "-W", "5", REMOTE_HOST).ok(), "pod on n1 -> remote via n2");
        assertTrue(in(P2).run("ping", "-c", "2", "-W", "5", REMOTE_HOST).ok(), "pod on n2 -> remote");

        // The tunnel goes away: so do the routes, on every node.
        client.genericKubernetesResources(ClusterWatch.TUNNELS).inNamespace(NS).withName("site-a").delete();
        await(() -> owned(N1).isBlank() && owned(N2).isBlank(), "no agent routes once no tunnel needs them");
    }

    private static HttpResponse<String> get(HealthServer server, String path) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    private static RouteAgent startAgent(String node) {
        Shell shell = in(node);
        IpRoute ip = new IpRoute(shell);
        RouteReconciler reconciler = new RouteReconciler(ip, new Iptables(shell, RouteLab.IPTABLES));
        RouteAgent[] agent = new RouteAgent[1];
        ClusterWatch watch = new ClusterWatch(api.client(), () -> {
            if (agent[0] != null) {
                agent[0].changed();
            }
        });
        agent[0] = new RouteAgent(node, SETTINGS, ip, reconciler, watch::view, watch::synced)
                .start(Duration.ofSeconds(30));
        agent[0].changed();
        running.add(watch);
        running.add(agent[0]);
        return agent[0];
    }

    private static io.fabric8.kubernetes.api.model.coordination.v1.Lease lease(String holder) {
        return new LeaseBuilder().withNewMetadata().withName("edge-leader").withNamespace(NS).endMetadata()
                .withNewSpec().withHolderIdentity(holder).withLeaseDurationSeconds(15).endSpec().build();
    }

    private static String owned(String node) {
        try {
            return in(node).must("ip", "route", "show", "table", "all", "proto", String.valueOf(Ownership.ROUTE_PROTOCOL));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitRoute(String node, String expected) throws InterruptedException {
        await(() -> owned(node).lines().anyMatch(l -> l.startsWith("10.20.0.0/24 " + expected)),
                node + ": 10.20.0.0/24 " + expected);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        Instant end = Instant.now().plusSeconds(30);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("timed out waiting for " + what + "; n1: " + owned(N1) + " n2: " + owned(N2));
            }
            Thread.sleep(50);
        }
    }
}
