package dev.strait.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.strait.api.net.Cidr;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterViewsTest {
    private static final List<Node> NODES = List.of(node("n1", "10.201.0.11", "10.244.1.0/24"),
            node("n2", "10.201.0.12", "10.244.2.0/24"));

    @Test
    void theLeaseHoldersNodeIsActiveAndTunnelsOfOneGatewayAreJoined() {
        ClusterView v = ClusterViews.from("n2", NODES,
                List.of(tunnel("site-a", "edge", List.of("10.244.0.0/16"), List.of("10.20.0.0/24")),
                        tunnel("site-b", "edge", List.of("10.244.0.0/16"), List.of("10.30.0.0/24")),
                        tunnel("other", "core", List.of("10.244.0.0/16"), List.of("10.40.0.0/24"))),
                List.of(lease("edge-leader", "edge-b")),
                List.of(pod("edge-a", "edge", "n1", "Running"), pod("edge-b", "edge", "n2", "Running"),
                        pod("core-x", "core", "n1", "Running")));
        assertEquals(new ClusterView.Node("n1", "10.201.0.11", List.of(Cidr.parse("10.244.1.0/24"))),
                v.nodes().get("n1"));
        Map<String, ClusterView.GatewayPath> g = byName(v);
        assertEquals("n2", g.get("apps/edge").activeNode(), "the lease holder, not the first pod");
        assertEquals(List.of(Cidr.parse("10.20.0.0/24"), Cidr.parse("10.30.0.0/24")), g.get("apps/edge").remoteSubnets());
        assertEquals(List.of(Cidr.parse("10.244.0.0/16")), g.get("apps/edge").localSubnets());
        assertEquals("n1", g.get("apps/core").activeNode(), "one replica, no lease: its running pod");
    }

    @Test
    void aLeaseHeldByAPodThatIsGoneMeansNoActiveNodeAndNoPodMeansNoneEither() {
        ClusterView v = ClusterViews.from("n2", NODES,
                List.of(tunnel("site-a", "edge", List.of(), List.of("10.20.0.0/24"))),
                List.of(lease("edge-leader", "edge-killed")), List.of(pod("edge-b", "edge", "n2", "Running")));
        assertNull(byName(v).get("apps/edge").activeNode());
        ClusterView none = ClusterViews.from("n2", NODES,
                List.of(tunnel("site-a", "edge", List.of(), List.of("10.20.0.0/24"))), List.of(),
                List.of(pod("edge-a", "edge", "n1", "Pending")));
        assertNull(byName(none).get("apps/edge").activeNode());
    }

    @Test
    void aGatewayOutsideTheNodesNetworkNamespaceGetsNoRoutesItsTunIsNotOnTheNode() {
        ClusterView v = ClusterViews.from("n2", NODES, List.of(tunnel("t", "edge", List.of(), List.of("10.20.0.0/24"))),
                List.of(), List.of(pod("edge-a", "edge", "n1", "Running", false)));
        assertNull(byName(v).get("apps/edge").activeNode());
    }

    @Test
    void withoutLocalSubnetsTheClusterPodCidrsAreTheLocalSide() {
        ClusterView v = ClusterViews.from("n1", NODES, List.of(tunnel("t", "edge", List.of(), List.of("10.20.0.0/24"))),
                List.of(), List.of(pod("edge-a", "edge", "n1", "Running")));
        assertEquals(List.of(Cidr.parse("10.244.1.0/24"), Cidr.parse("10.244.2.0/24")),
                byName(v).get("apps/edge").localSubnets());
    }

    @Test
    void withoutLocalSubnetsAndWithoutNodePodCidrsTheConfiguredClusterPodCidrsAreTheLocalSide() {
        List<Node> noPodCidrs = List.of(new NodeBuilder(NODES.get(0)).editSpec().withPodCIDR(null).withPodCIDRs(List.of())
                .endSpec().build());
        List<Cidr> configured = List.of(Cidr.parse("10.96.0.0/12"));
        ClusterView v = ClusterViews.from("n1", noPodCidrs, List.of(tunnel("t", "edge", List.of(), List.of("10.20.0.0/24"))),
                List.of(), List.of(pod("edge-a", "edge", "n1", "Running")), configured);
        assertEquals(configured, byName(v).get("apps/edge").localSubnets());
        // The Nodes' own podCIDRs win when there are any.
        ClusterView withNodes = ClusterViews.from("n1", NODES, List.of(tunnel("t", "edge", List.of(), List.of("10.20.0.0/24"))),
                List.of(), List.of(pod("edge-a", "edge", "n1", "Running")), configured);
        assertEquals(List.of(Cidr.parse("10.244.1.0/24"), Cidr.parse("10.244.2.0/24")),
                byName(withNodes).get("apps/edge").localSubnets());
    }

    @Test
    void aBadSubnetOrANodeWithoutAddressIsSkippedNotFatal() {
        Node bare = new NodeBuilder().withNewMetadata().withName("n3").endMetadata().build();
        ClusterView v = ClusterViews.from("n1", List.of(NODES.get(0), bare),
                List.of(tunnel("t", "edge", List.of("10.244.0.0/16"), List.of("10.20.0.1/24", "10.21.0.0/16"))),
                List.of(), List.of(pod("edge-a", "edge", "n1", "Running")));
        assertEquals(List.of("n1"), List.copyOf(v.nodes().keySet()));
        assertEquals(List.of(Cidr.parse("10.21.0.0/16")), byName(v).get("apps/edge").remoteSubnets());
    }

    private static Map<String, ClusterView.GatewayPath> byName(ClusterView v) {
        return v.gateways().stream().collect(java.util.stream.Collectors.toMap(ClusterView.GatewayPath::name, g -> g));
    }

    static Node node(String name, String ip, String podCidr) {
        return new NodeBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withPodCIDR(podCidr).withPodCIDRs(podCidr).endSpec()
                .withNewStatus().addNewAddress().withType("Hostname").withAddress(name).endAddress()
                .addNewAddress().withType("InternalIP").withAddress(ip).endAddress().endStatus().build();
    }

    static GenericKubernetesResource tunnel(String name, String gateway, List<String> local, List<String> remote) {
        return new GenericKubernetesResourceBuilder().withApiVersion("strait.dev/v1alpha1").withKind("IPsecTunnel")
                .withNewMetadata().withName(name).withNamespace("apps").endMetadata()
                .withAdditionalProperties(Map.of("spec", Map.of("gatewayRef", Map.of("name", gateway),
                        "peer", Map.of("id", "peer"), "local", Map.of("id", "me", "subnets", local),
                        "remote", Map.of("subnets", remote),
                        "auth", Map.of("psk", Map.of("secretRef", Map.of("name", "s", "key", "psk"))))))
                .build();
    }

    static Lease lease(String name, String holder) {
        return new LeaseBuilder().withNewMetadata().withName(name).withNamespace("apps").endMetadata()
                .withNewSpec().withHolderIdentity(holder).endSpec().build();
    }

    static Pod pod(String name, String gateway, String node, String phase) {
        return pod(name, gateway, node, phase, true);
    }

    static Pod pod(String name, String gateway, String node, String phase, boolean hostNetwork) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("apps")
                .withLabels(Map.of(ClusterViews.GATEWAY_LABEL, gateway)).endMetadata()
                .withNewSpec().withNodeName(node).withHostNetwork(hostNetwork).withAutomountServiceAccountToken(false)
                .addNewContainer().withName("gateway").withImage("strait-gateway").endContainer().endSpec().withNewStatus().withPhase(phase).endStatus().build();
    }
}
