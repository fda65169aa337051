package dev.strait.e2e;

import static dev.strait.e2e.support.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strait.api.net.Cidr;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.e2e.support.ExecResult;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.Sites;
import dev.strait.e2e.support.SitesExtension;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.gateway.routing.ClusterView;
import dev.strait.gateway.routing.DesiredStateBuilder;
import dev.strait.gateway.routing.IpRoute;
import dev.strait.gateway.routing.Iptables;
import dev.strait.gateway.routing.RouteReconciler;
import dev.strait.gateway.routing.RoutingSettings;
import dev.strait.gateway.routing.Shell;
import dev.strait.gateway.testing.NodeNamespaces;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cluster routing through a real tunnel: site A is the active gateway node (a Strait gateway in its namespace, as
 * with hostNetwork), with a pod behind its bridge; a second node and its pod hang off site A's node network; site B
 * is a strongSwan remote site whose LAN address is the remote host. The route agent's reconciler runs on both nodes.
 *
 * <pre>
 *   route-e2e-p1 10.244.1.2 -- cni0 [strait-a: gateway, node0 10.203.0.1] -- [route-e2e-n2 10.203.0.2] cni0 -- route-e2e-p2 10.244.2.2
 *   strait-a 198.18.0.1 == ESP == 198.18.0.2 strait-b (strongSwan, LAN 10.20.0.1)
 * </pre>
 *
 * The tunnel joins the pod CIDR 10.244.0.0/16 with site B's LAN. Both nodes masquerade their pods' outbound traffic
 * (as a CNI with ipMasq does) and check reverse paths strictly ({@link NodeNamespaces#podBehindBridge}).
 */
@Timeout(180)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterRoutingIT {
    private static final String PSK = "cluster-routing-psk-not-secret";
    private static final String N2 = "route-e2e-n2";
    private static final String P1 = "route-e2e-p1";
    private static final String P2 = "route-e2e-p2";
    private static final String PODS = "10.244.0.0/16";
    private static final String POD1 = "10.244.1.2";
    private static final String POD2 = "10.244.2.2";
    private static final String IPTABLES = "iptables-nft";
    private static final int TUNNEL_MTU = 1400;
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final SitesExtension SITES = new SitesExtension();

    private static Sites s;
    private static GatewayProcess gateway;
    private static String baselineN2;

    @BeforeAll
    static void up() throws Exception {
        s = SITES.sites();
        for (String ns : List.of(N2, P1, P2)) {
            NodeNamespaces.create(ns);
        }
        // the node network: site A is node 1, route-e2e-n2 node 2, one L2 hop apart
        Shell.local().must("ip", "-n", s.nsA(), "link", "add", "node0", "type", "veth", "peer", "name", "eth0", "netns",
                N2);
        in(s.nsA(), "ip", "addr", "add", "10.203.0.1/24", "dev", "node0");
        in(s.nsA(), "ip", "link", "set", "node0", "up");
        in(N2, "ip", "addr", "add", "10.203.0.2/24", "dev", "eth0");
        in(N2, "ip", "link", "set", "eth0", "up");
        NodeNamespaces.podBehindBridge(s.nsA(), P1, 1, IPTABLES);
        NodeNamespaces.podBehindBridge(N2, P2, 2, IPTABLES);
        baselineN2 = NodeNamespaces.snapshot(N2, IPTABLES);

        GatewayConfig c = GatewayConfigs.siteAToB(s, "to-b", PSK);
        c.datapath.mode = "Userspace";
        c.datapath.mtu = TUNNEL_MTU;
        c.tunnels.getFirst().local.subnets = new ArrayList<>(List.of(PODS));
        c.tunnels.getFirst().initiation = TunnelSpec.Initiation.Start;
        SITES.strongSwan(s.nsB()).start(SwanctlConf.siteB(s, SwanctlConf.Role.RESPONDER).psk(PSK)
                .ikeProposals("aes256gcm16-prfsha384-ecp384").espProposals("aes256gcm16")
                .localTs(s.lanSubnetB()).remoteTs(PODS).build());
        gateway = SITES.gateway(s.nsA(), s.transitA()).start(c).awaitReady(Duration.ofSeconds(30));
        await(() -> "Established".equals(gateway.status().path("tunnels").path(0).path("phase").asText()) ? true : null,
                "the tunnel to strongSwan is up");
        agent(s.nsA(), "10.203.0.1");
        agent(N2, "10.203.0.2");
    }

    @AfterAll
    static void down() throws IOException {
        for (String ns : List.of(P1, P2, N2)) {
            NodeNamespaces.delete(ns);
        }
    }

    private static void agent(String ns, String nodeIp) throws IOException {
        Shell sh = shell(ns);
        IpRoute ip = new IpRoute(sh);
        String local = ns.equals(N2) ? "n2" : "n1";
        ClusterView view = new ClusterView(local, Map.of(
                "n1", new ClusterView.Node("n1", "10.203.0.1", List.of(Cidr.parse("10.244.1.0/24"))),
                "n2", new ClusterView.Node("n2", "10.203.0.2", List.of(Cidr.parse("10.244.2.0/24")))),
                List.of(new ClusterView.GatewayPath("default/edge", "n1", List.of(Cidr.parse(s.lanSubnetB())),
                        List.of(Cidr.parse(PODS)))));
        RoutingSettings settings = new RoutingSettings(RoutingSettings.Mode.Auto, TUNNEL_MTU,
                RoutingSettings.DEFAULT_VNI, RoutingSettings.DEFAULT_VXLAN_PORT);
        new RouteReconciler(ip, new Iptables(sh, IPTABLES))
                .apply(DesiredStateBuilder.build(view, ip.hostFacts(nodeIp), settings));
    }

    @Test
    @Order(1)
    void podsOnBothNodesReachTheRemoteLanThroughTheTunnelWithTheirOwnAddresses() throws Exception {
        for (String[] pod : new String[][] {{P2, POD2}, {P1, POD1}}) {
            Path cap = capture(s.nsB(), "icmp and src " + pod[1]);
            await(() -> exec(pod[0], "ping", "-c", "1", "-W", "2", s.lanB()).ok() ? true : null,
                    pod[0] + " pings the remote LAN");
            assertEquals(5, received(exec(pod[0], "ping", "-c", "5", "-i", "0.2", "-W", "2", s.lanB())), pod[0]);
            String seen = awaitFile(cap, t -> t.contains(pod[1] + " > " + s.lanB()));
            assertTrue(seen.contains(pod[1] + " > " + s.lanB()), "the remote side sees the pod's own IP: " + seen);
        }
        // The benchmark of docs/performance.md: the other node's pod against the gateway node's own, in one run.
        double other = iperf(s.nsB(), s.lanB(), P2, null, "pod on node 2 -> remote LAN");
        double own = iperf(s.nsB(), s.lanB(), P1, null, "pod on the gateway node -> remote LAN");
        System.out.printf("cluster routing: a pod on another node gets %.0f%% of the gateway node's throughput%n",
                100 * other / own);
    }

    @Test
    @Order(2)
    void theRemoteLanReachesPodsOnBothNodesByTheirPodIps() throws Exception {
        for (String[] pod : new String[][] {{P2, POD2}, {P1, POD1}}) {
            assertEquals(5, s.ping(s.nsB(), s.lanB(), pod[1], 5), "remote LAN -> " + pod[1]);
        }
        iperf(P2, POD2, s.nsB(), s.lanB(), "remote LAN -> pod on node 2");
    }

    @Test
    @Order(3)
    void forwardedSynsAreClampedAndTooBigDfPacketsAnswered() throws Exception {
        Path syn = capture(s.nsB(), "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and src " + POD2);
        iperf(s.nsB(), s.lanB(), P2, null, "MSS");
        String seen = awaitFile(syn, t -> t.contains("mss"));
        assertTrue(seen.contains("mss " + (TUNNEL_MTU - 40)), "SYN from the pod clamped to the tunnel: " + seen);
        for (String pod : List.of(P2, P1)) {
            ExecResult r = exec(pod, "ping", "-c", "1", "-W", "3", "-M", "do", "-s", "1472", s.lanB());
            String out = (r.stdout() + r.stderr()).replace(" = ", "=");
            assertTrue(out.contains("mtu=" + TUNNEL_MTU), pod + ": " + out);
        }
    }

    @Test
    @Order(4)
    void cleanupLeavesNodeTwoAsItWas() throws Exception {
        new RouteReconciler(new IpRoute(shell(N2)), new Iptables(shell(N2), IPTABLES)).cleanup();
        assertEquals(baselineN2, NodeNamespaces.snapshot(N2, IPTABLES));
    }

    // ------------------------------------------------------------------ helpers

    private static Shell shell(String ns) {
        return NodeNamespaces.in(ns);
    }

    private static void in(String ns, String... argv) throws IOException {
        shell(ns).must(argv);
    }

    private static ExecResult exec(String ns, String... argv) {
        return s.exec(ns, argv);
    }

    private static int received(ExecResult r) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) received").matcher(r.stdout());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static Path capture(String ns, String filter) throws IOException {
        Path out = Files.createTempFile("route-e2e-cap", ".txt");
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns, "timeout", "60", "tcpdump", "-i", "any",
                "-n", "-l", "-v", "-c", "1"));
        argv.addAll(List.of(filter.split(" ")));
        new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        awaitFile(out, t -> t.contains("listening on"));
        return out;
    }

    private static String awaitFile(Path file, java.util.function.Predicate<String> done) {
        return await(() -> {
            try {
                String t = Files.readString(file);
                return done.test(t) ? t : null;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, "output in " + file);
    }

    /** 10 s of iperf3 TCP from clientNs (bound to bind, if given) to a server at serverIp in serverNs: bit/s. */
    private static double iperf(String serverNs, String serverIp, String clientNs, String bind, String label)
            throws Exception {
        Path log = Files.createTempFile("route-e2e-iperf", ".txt");
        Process server = new ProcessBuilder("ip", "netns", "exec", serverNs, "iperf3", "-s", "-1", "--forceflush",
                "-B", serverIp).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            awaitFile(log, t -> t.contains("Server listening"));
            List<String> argv = new ArrayList<>(List.of("iperf3", "-c", serverIp, "-t", "10", "-J"));
            if (bind != null) {
                argv.addAll(List.of("-B", bind));
            }
            ExecResult r = s.exec(clientNs, Duration.ofSeconds(40), argv.toArray(String[]::new)).orThrow();
            JsonNode end = JSON.readTree(r.stdout()).path("end");
            long bytes = end.path("sum_received").path("bytes").asLong();
            System.out.printf("iperf3 %s: %.3f Gbit/s, %d bytes, %d retransmits%n", label,
                    end.path("sum_received").path("bits_per_second").asDouble() / 1e9, bytes,
                    end.path("sum_sent").path("retransmits").asLong());
            assertTrue(bytes > 0, label + ": iperf3 moved data: " + r.stdout());
            return end.path("sum_received").path("bits_per_second").asDouble();
        } finally {
            server.destroy();
        }
    }
}
