package dev.strait.gateway.routing;

import static dev.strait.gateway.routing.RouteLab.N1;
import static dev.strait.gateway.routing.RouteLab.N2;
import static dev.strait.gateway.routing.RouteLab.P1;
import static dev.strait.gateway.routing.RouteLab.P2;
import static dev.strait.gateway.routing.RouteLab.POD_IP;
import static dev.strait.gateway.routing.RouteLab.REM;
import static dev.strait.gateway.routing.RouteLab.REMOTE_HOST;
import static dev.strait.gateway.routing.RouteLab.agent;
import static dev.strait.gateway.routing.RouteLab.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strait.gateway.testing.Privileged;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The route agent's reconciler against real kernel state: two nodes on one L2 segment, a pod behind each, the remote
 * LAN behind a stand-in tunnel link on the active gateway node (see {@link RouteLab}). No kubelet, no API server:
 * the cluster view is given; what is tested is that the routes and rules it becomes carry real traffic.
 */
@Privileged
class RouteAgentNetnsTest {
    private static final RoutingSettings AUTO = new RoutingSettings(RoutingSettings.Mode.Auto, RouteLab.TUNNEL_MTU,
            RoutingSettings.DEFAULT_VNI, RoutingSettings.DEFAULT_VXLAN_PORT);
    private static final RoutingSettings VXLAN = new RoutingSettings(RoutingSettings.Mode.Vxlan, RouteLab.TUNNEL_MTU,
            RoutingSettings.DEFAULT_VNI, RoutingSettings.DEFAULT_VXLAN_PORT);
    private static RouteLab lab;
    private static String baselineN1;
    private static String baselineN2;

    @BeforeAll
    static void up() throws IOException {
        assumeTrue(RouteLab.usable(), "needs iproute2, iptables-nft, tcpdump and iperf3");
        lab = RouteLab.up();
        lab.tunnelOn(N1);
        baselineN1 = RouteLab.snapshot(N1);
        baselineN2 = RouteLab.snapshot(N2);
    }

    @AfterAll
    static void down() throws IOException {
        if (lab != null) {
            lab.close();
        }
    }

    private static void gatewayOn(String node, RoutingSettings settings) throws IOException {
        lab.tunnelOn(node);
        agent(N1, node, settings);
        agent(N2, node, settings);
    }

    @Test
    void podsOnBothNodesReachTheRemoteLanWithTheirOwnAddresses() throws IOException {
        gatewayOn(N1, AUTO);
        for (String pod : List.of(P2, P1)) {
            Path cap = lab.capture(REM, "t1", 1, "icmp[icmptype] == icmp-echo");
            ping(pod, REMOTE_HOST);
            String seen = RouteLab.waitFor(cap, s -> s.contains("ICMP echo request"), Duration.ofSeconds(10));
            String podIp = POD_IP.get(pod.equals(P1) ? N1 : N2);
            assertTrue(seen.contains(podIp + " > " + REMOTE_HOST), "no SNAT: the remote side sees the pod: " + seen);
            tcp(REM, REMOTE_HOST, pod, null);
        }
    }

    @Test
    void theRemoteHostReachesPodsOnBothNodesByTheirPodIps() throws IOException {
        gatewayOn(N1, AUTO);
        for (String node : List.of(N2, N1)) {
            String podIp = POD_IP.get(node);
            assertTrue(in(REM).run("ping", "-c", "2", "-W", "5", "-I", REMOTE_HOST, podIp).ok(),
                    "remote -> " + podIp);
            tcp(node.equals(N1) ? P1 : P2, podIp, REM, REMOTE_HOST);
        }
    }

    @Test
    void repliesFromTheRemoteTakeTheAgentsPathEvenWhenTheCniRoutesPodCidrsElsewhere() throws IOException {
        gatewayOn(N1, AUTO);
        // A CNI with its own device for other nodes' pods (flannel's VXLAN, say) owns the main-table route; here it
        // leads nowhere, so only the agent's return table can carry the replies (and pass the strict rp_filter).
        in(N1).must("ip", "route", "add", "blackhole", "10.244.2.0/24", "proto", "boot");
        try {
            ping(P2, REMOTE_HOST);
            assertTrue(in(REM).run("ping", "-c", "2", "-W", "5", "-I", REMOTE_HOST, POD_IP.get(N2)).ok(),
                    "remote -> pod on n2 through the return table");
            assertTrue(in(N1).must("ip", "rule").contains("from 10.20.0.0/24 lookup 83"));
        } finally {
            in(N1).must("ip", "route", "del", "blackhole", "10.244.2.0/24", "proto", "boot");
        }
    }

    @Test
    void mssIsClampedOnSynAndSynAckBothWays() throws IOException {
        RoutingSettings narrow = new RoutingSettings(RoutingSettings.Mode.Auto, 1300, RoutingSettings.DEFAULT_VNI,
                RoutingSettings.DEFAULT_VXLAN_PORT);
        gatewayOn(N1, narrow);
        // The pod's SYN leaves with MSS 1460 (its MTU is 1500), the remote's SYN-ACK with 1360 (its link's 1400):
        // both must arrive as 1260, the tunnel MTU the agent was given minus 40.
        Path syn = lab.capture(REM, "t1", 1, "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn");
        Path synAck = lab.capture(P2, "eth0", 1, "tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)");
        tcp(REM, REMOTE_HOST, P2, null);
        assertTrue(RouteLab.waitFor(syn, s -> s.contains("mss"), Duration.ofSeconds(10)).contains("mss 1260"),
                Files.readString(syn));
        assertTrue(RouteLab.waitFor(synAck, s -> s.contains("mss"), Duration.ofSeconds(10)).contains("mss 1260"),
                Files.readString(synAck));
        gatewayOn(N1, AUTO);
    }

    @Test
    void aTooBigDfPacketGetsFragmentationNeededBack() throws IOException {
        gatewayOn(N1, AUTO);
        // From the other node the agent's route MTU answers; on the gateway node the tunnel link's own MTU does.
        for (String pod : List.of(P2, P1)) {
            Shell.Result r = in(pod).run("ping", "-c", "1", "-W", "3", "-M", "do", "-s", "1472", REMOTE_HOST);
            // "Frag needed ... (mtu = 1400)" from the router, or "mtu=1400" once the pod has cached that answer
            assertTrue((r.out() + r.err()).replace(" = ", "=").contains("mtu=1400"), pod + ": " + r.out() + r.err());
            ping(pod, REMOTE_HOST, "-M", "do", "-s", String.valueOf(1400 - 28));
        }
    }

    @Test
    void anAgentRestartDropsNoPacketOfARunningPingStream() throws IOException, InterruptedException {
        gatewayOn(N1, AUTO);
        Path out = lab.file("ping");
        Process ping = lab.start(out, P2, "ping", "-c", "200", "-i", "0.01", "-W", "2", REMOTE_HOST);
        RouteLab.waitFor(out, s -> s.contains("icmp_seq=5 "), Duration.ofSeconds(10));
        for (int i = 0; i < 3; i++) {
            agent(N2, N1, AUTO); // every pass is a fresh agent: it rebuilds its chains and replaces its routes
            agent(N1, N1, AUTO);
        }
        assertTrue(ping.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        String summary = Files.readString(out);
        assertTrue(summary.contains("200 packets transmitted, 200 received"), summary);
        // Rebuilt, not piled up: one jump, and the chain holds its two rules once.
        String postrouting = in(N2).must(RouteLab.IPTABLES, "-t", "nat", "-S", "POSTROUTING");
        assertEquals(1, postrouting.lines().filter(l -> l.endsWith("-j STRAIT-POSTROUTING")).count(), postrouting);
        assertTrue(postrouting.lines().filter(l -> l.startsWith("-A")).findFirst().orElseThrow()
                .endsWith("-j STRAIT-POSTROUTING"), "ahead of the CNI's MASQUERADE: " + postrouting);
        assertEquals(2, in(N2).must(RouteLab.IPTABLES, "-t", "nat", "-S", "STRAIT-POSTROUTING").lines()
                .filter(l -> l.startsWith("-A")).count());
    }

    @Test
    void whenTheActiveGatewayMovesTheAgentsRePointAndBothPodsStillReachTheRemote() throws IOException {
        gatewayOn(N2, AUTO);
        assertTrue(in(N1).must("ip", "route", "show", "10.20.0.0/24").contains("via 10.203.0.2"),
                "n1 now routes the remote LAN to n2");
        assertFalse(in(N2).must("ip", "route", "show", "proto", "83").contains("10.20.0.0/24"),
                "n2 carries the tunnel itself");
        for (String pod : List.of(P1, P2)) {
            ping(pod, REMOTE_HOST);
        }
        assertTrue(in(REM).run("ping", "-c", "2", "-W", "5", "-I", REMOTE_HOST, POD_IP.get(N1)).ok());
        gatewayOn(N1, AUTO);
        assertTrue(in(N2).must("ip", "route", "show", "10.20.0.0/24").contains("via 10.203.0.1"));
        ping(P2, REMOTE_HOST);
    }

    @Test
    void theVxlanOverlayCarriesTheSameTrafficAndGoesAwayWhenNoLongerWanted() throws IOException {
        gatewayOn(N1, VXLAN);
        assertTrue(in(N2).must("ip", "route", "show", "10.20.0.0/24").contains("dev strait-vx"));
        Path cap = lab.capture(REM, "t1", 1, "icmp[icmptype] == icmp-echo");
        ping(P2, REMOTE_HOST);
        assertTrue(RouteLab.waitFor(cap, s -> s.contains("ICMP echo request"), Duration.ofSeconds(10))
                .contains(POD_IP.get(N2) + " > " + REMOTE_HOST));
        assertTrue(in(REM).run("ping", "-c", "2", "-W", "5", "-I", REMOTE_HOST, POD_IP.get(N2)).ok());
        // 1450 overlay MTU, but the tunnel (1400) is narrower still.
        Shell.Result big = in(P2).run("ping", "-c", "1", "-W", "3", "-M", "do", "-s", "1472", REMOTE_HOST);
        assertTrue((big.out() + big.err()).replace(" = ", "=").contains("mtu=1400"), big.out() + big.err());
        gatewayOn(N1, AUTO);
        assertFalse(in(N2).must("ip", "link").contains("strait-vx"), "the overlay link is removed");
        ping(P2, REMOTE_HOST);
    }

    @Test
    void cleanupLeavesNoRouteRuleLinkOrIptablesEntryBehind() throws IOException {
        gatewayOn(N1, VXLAN);
        agent(N1, N1, VXLAN);
        assertFalse(RouteLab.snapshot(N2).equals(baselineN2), "the agent changed the node");
        lab.tunnelOn(N1);
        RouteLab.cleanup(N1);
        RouteLab.cleanup(N2);
        assertEquals(baselineN1, RouteLab.snapshot(N1));
        assertEquals(baselineN2, RouteLab.snapshot(N2));
        RouteLab.cleanup(N2); // twice is fine
        assertEquals(baselineN2, RouteLab.snapshot(N2));
    }

    private static void ping(String ns, String dst, String... extra) throws IOException {
        List<String> argv = new java.util.ArrayList<>(List.of("ping", "-c", "2", "-W", "5"));
        argv.addAll(List.of(extra));
        argv.add(dst);
        Shell.Result r = in(ns).run(argv.toArray(String[]::new));
        assertTrue(r.ok(), ns + " -> " + dst + ": " + r.out() + r.err());
    }

    /** A short iperf3 TCP run from client (bound to bind if given) to an iperf3 server at serverIp in serverNs. */
    private static void tcp(String serverNs, String serverIp, String clientNs, String bind) throws IOException {
        Path log = lab.file("iperf");
        Process server = lab.start(log, serverNs, "iperf3", "-s", "-1", "--forceflush", "-B", serverIp);
        try {
            RouteLab.waitFor(log, s -> s.contains("Server listening"), Duration.ofSeconds(10));
            List<String> argv = new java.util.ArrayList<>(List.of("iperf3", "-c", serverIp, "-n", "2M"));
            if (bind != null) {
                argv.addAll(List.of("-B", bind));
            }
            Shell.Result r = in(clientNs).run(argv.toArray(String[]::new));
            assertTrue(r.ok() && r.out().contains("receiver"), clientNs + " -> " + serverIp + ": " + r.out() + r.err());
        } finally {
            server.destroyForcibly();
        }
    }
}
