package dev.strait.operator.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** local.subnets left out: the Nodes' podCIDRs, else the configured clusterPodCidrs (chart value). */
class ClusterPodCidrsTest {
    private static Node node(String name, String... podCidrs) {
        return new NodeBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec()
                .withPodCIDRs(podCidrs).endSpec().build();
    }

    @Test
    void theNodesPodCidrsWinOverTheConfiguredOnes() {
        assertEquals(List.of("10.244.1.0/24", "10.244.2.0/24"), GatewayEventSources.clusterPodCidrs(
                List.of(node("b", "10.244.2.0/24"), node("a", "10.244.1.0/24")), List.of("10.96.0.0/12")));
    }

    @Test
    void withoutNodePodCidrsTheConfiguredOnesAreUsed() {
        assertEquals(List.of("10.96.0.0/12"), GatewayEventSources.clusterPodCidrs(List.of(node("a")),
                List.of("10.96.0.0/12")));
        assertEquals(List.of(), GatewayEventSources.clusterPodCidrs(List.of(node("a")), List.of()));
    }
}
