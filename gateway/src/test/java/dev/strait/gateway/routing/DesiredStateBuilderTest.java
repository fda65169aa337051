package dev.strait.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.routing.ClusterView.GatewayPath;
import dev.strait.gateway.routing.ClusterView.Node;
import dev.strait.gateway.routing.DesiredState.Chain;
import dev.strait.gateway.routing.DesiredState.Route;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DesiredStateBuilderTest {
    private static final int MAIN = Ownership.MAIN_TABLE;
    private static final int RETURN = Ownership.RETURN_TABLE;
    private static final Node N1 = new Node("n1", "10.201.0.11", List.of(Cidr.parse("10.244.1.0/24")));
    private static final Node N2 = new Node("n2", "10.201.0.12", List.of(Cidr.parse("10.244.2.0/24")));
    private static final Node FAR = new Node("far", "10.99.7.13", List.of(Cidr.parse("10.244.3.0/24")));
    private static final Map<String, Node> NODES = Map.of("n1", N1, "n2", N2, "far", FAR);
    private static final HostFacts HOST = new HostFacts("eth0", Cidr.parse("10.201.0.0/24"), 1500);
    private static final HostFacts FAR_HOST = new HostFacts("eth0", Cidr.parse("10.99.7.0/24"), 1500);
    private static final RoutingSettings AUTO = RoutingSettings.defaults();

    private static GatewayPath gw(String active, String... remote) {
        return new GatewayPath("default/edge", active, List.of(remote).stream().map(Cidr::parse).toList(),
                List.of(Cidr.parse("10.244.0.0/16")));
    }

    private static DesiredState on(String node, RoutingSettings s, GatewayPath... gws) {
        return DesiredStateBuilder.build(new ClusterView(node, NODES, List.of(gws)), node.equals("far") ? FAR_HOST : HOST,
                s);
    }

    @Test
    void aNodeWithoutTheGatewayRoutesRemoteSubnetsToTheGatewayNodeDirectlyOnItsSubnet() {
        DesiredState s = on("n2", AUTO, gw("n1", "10.20.0.0/24", "10.21.0.0/16"));
        assertEquals(List.of(new Route(Cidr.parse("10.20.0.0/24"), "10.201.0.11", null, 1399, MAIN),
                new Route(Cidr.parse("10.21.0.0/16"), "10.201.0.11", null, 1399, MAIN)), s.routes());
        assertTrue(s.overlay().isEmpty(), "one L2 hop away: no overlay");
        assertTrue(s.rules().isEmpty(), "no return-path rules off the gateway node");
    }

    @Test
    void theGatewayNodeAddsTheReturnPathToEveryOtherNodesPodsAndNoRouteToTheRemote() {
        DesiredState s = on("n1", RoutingSettings.defaults(), gw("n1", "10.20.0.0/24"));
        // The remote subnets go through the gateway's own TUN routes; the agent adds the way back to other nodes,
        // in its own table, for packets from the remote subnets only.
        assertEquals(List.of(new Route(Cidr.parse("10.244.2.0/24"), "10.201.0.12", null, 1399, RETURN),
                new Route(Cidr.parse("10.244.3.0/24"), "240.99.7.13", "strait-vx", 1399, RETURN)), s.routes());
        assertEquals(List.of(Cidr.parse("10.20.0.0/24")), s.rules());
        DesiredState.VxlanLink vx = s.overlay().orElseThrow();
        assertEquals(List.of("10.99.7.13"), vx.peers(), "only the node outside the subnet goes through the overlay");
        assertEquals("240.201.0.11/8", vx.address());
        assertEquals(1450, vx.mtu());
    }

    @Test
    void aNodeOnAnotherSubnetReachesTheGatewayThroughTheOverlayWithItsSmallerMtu() {
        RoutingSettings wideTunnel = new RoutingSettings(RoutingSettings.Mode.Auto, 1480, 77, 4790);
        DesiredState s = on("far", wideTunnel, gw("n1", "10.20.0.0/24"));
        assertEquals(List.of(new Route(Cidr.parse("10.20.0.0/24"), "240.201.0.11", "strait-vx", 1450, MAIN)), s.routes());
        assertEquals(List.of("10.201.0.11"), s.overlay().orElseThrow().peers());
        assertEquals(77, s.overlay().orElseThrow().vni());
        assertTrue(mangle(s).stream().allMatch(r -> r.endsWith("--set-mss 1410")), mangle(s).toString());
    }

    @Test
    void vxlanModeUsesTheOverlayEvenOnOneSubnetAndDirectModeNever() {
        RoutingSettings vxlan = new RoutingSettings(RoutingSettings.Mode.Vxlan, 1399, 9, 4790);
        assertEquals("strait-vx", on("n2", vxlan, gw("n1", "10.20.0.0/24")).routes().get(0).dev());
        RoutingSettings direct = new RoutingSettings(RoutingSettings.Mode.Direct, 1399, 9, 4790);
        DesiredState s = on("far", direct, gw("n1", "10.20.0.0/24"));
        assertEquals(new Route(Cidr.parse("10.20.0.0/24"), "10.201.0.11", null, 1399, MAIN), s.routes().get(0));
        assertTrue(s.overlay().isEmpty());
    }

    @Test
    void masqueradeIsSkippedAndMssClampedBothWaysBetweenLocalAndRemoteSubnetsOnEveryNode() {
        for (String node : List.of("n1", "n2")) {
            DesiredState s = on(node, AUTO, gw("n1", "10.20.0.0/24"));
            Chain nat = s.chains().get(0);
            assertEquals("nat", nat.table());
            assertEquals("STRAIT-POSTROUTING", nat.name());
            assertEquals("POSTROUTING", nat.hook());
            assertEquals(List.of("-s 10.244.0.0/16 -d 10.20.0.0/24 -j ACCEPT",
                    "-s 10.20.0.0/24 -d 10.244.0.0/16 -j ACCEPT"), nat.rules());
            assertEquals(List.of(
                    "-s 10.244.0.0/16 -d 10.20.0.0/24 -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1359",
                    "-s 10.20.0.0/24 -d 10.244.0.0/16 -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1359"),
                    mangle(s));
        }
    }

    @Test
    void whenTheActiveGatewayMovesTheRoutesFollowIt() {
        DesiredState before = on("n2", AUTO, gw("n1", "10.20.0.0/24"));
        DesiredState after = on("n2", AUTO, gw("far", "10.20.0.0/24"));
        assertEquals("10.201.0.11", before.routes().get(0).via());
        assertEquals("240.99.7.13", after.routes().get(0).via());
        DesiredState nowActive = on("n2", AUTO, gw("n2", "10.20.0.0/24"));
        assertTrue(nowActive.routes().stream().noneMatch(r -> r.dst().toString().equals("10.20.0.0/24")),
                "the new gateway node routes through its TUN device, not through the agent");
    }

    @Test
    void noActiveReplicaMeansNoRoutesButTheRulesStaySoAFailoverNeverSnatsAFlow() {
        DesiredState s = on("n2", AUTO, gw(null, "10.20.0.0/24"));
        assertTrue(s.routes().isEmpty());
        assertEquals(2, s.chains().get(0).rules().size());
    }

    @Test
    void twoGatewaysClaimingOneRemoteSubnetGiveOneRouteFromTheFirstByName() {
        GatewayPath a = new GatewayPath("a/gw", "n1", List.of(Cidr.parse("10.20.0.0/24")), List.of());
        GatewayPath b = new GatewayPath("b/gw", "far", List.of(Cidr.parse("10.20.0.0/24")), List.of());
        DesiredState s = DesiredStateBuilder.build(new ClusterView("n2", NODES, List.of(b, a)), HOST, AUTO);
        assertEquals(List.of(new Route(Cidr.parse("10.20.0.0/24"), "10.201.0.11", null, 1399, MAIN)), s.routes());
    }

    @Test
    void ipv6SubnetsAreLeftOutAndAnUnknownLocalNodeIsAnError() {
        GatewayPath v6 = new GatewayPath("default/edge", "n1", List.of(Cidr.parse("fd00:20::/64")),
                List.of(Cidr.parse("fd00:244::/56")));
        DesiredState s = on("n2", AUTO, v6);
        assertTrue(s.routes().isEmpty());
        assertTrue(s.chains().stream().allMatch(c -> c.rules().isEmpty()));
        assertThrows(IllegalArgumentException.class, () -> on("nope", AUTO, gw("n1", "10.20.0.0/24")));
    }

    private static List<String> mangle(DesiredState s) {
        return s.chains().stream().filter(c -> c.table().equals("mangle")).findFirst().orElseThrow().rules();
    }
}
