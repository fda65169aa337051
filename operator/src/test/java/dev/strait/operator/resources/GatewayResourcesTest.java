package dev.strait.operator.resources;

import static dev.strait.operator.Fixtures.gateway;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.GatewaySpec;
import dev.strait.operator.crd.IPsecGateway;
import org.junit.jupiter.api.Test;

class GatewayResourcesTest {
    @Test
    void hostNetworkGatewayHasNoServiceAndRequiresSeparateNodes() {
        IPsecGateway gw = gateway("ns", "edge", 2);
        gw.getMetadata().setUid("uid-1");
        gw.getSpec().hostNetwork = true;
        gw.getSpec().service.type = GatewaySpec.ServiceType.None;
        gw.getSpec().image = "mine:1";
        assertNull(GatewayResources.service(gw));
        var deployment = GatewayResources.deployment(gw, "default:1", "h");
        var pod = deployment.getSpec().getTemplate().getSpec();
        assertEquals(0, deployment.getSpec().getStrategy().getRollingUpdate().getMaxSurge().getIntVal(),
                "a surge pod could never schedule next to a hostNetwork gateway");
        assertTrue(pod.getHostNetwork());
        assertEquals("ClusterFirstWithHostNet", pod.getDnsPolicy());
        assertEquals(1, pod.getAffinity().getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().size());
        assertEquals("mine:1", pod.getContainers().getFirst().getImage());
    }

    @Test
    void podNetworkGatewayPrefersSeparateNodesAndUsesTheDefaultImage() {
        IPsecGateway gw = gateway("ns", "edge", 1);
        var deployment = GatewayResources.deployment(gw, "default:1", "h");
        var pod = deployment.getSpec().getTemplate().getSpec();
        assertNull(deployment.getSpec().getStrategy());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        assertNull(pod.getHostNetwork());
        assertEquals(1, pod.getAffinity().getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution().size());
        assertEquals("default:1", pod.getContainers().getFirst().getImage());
        assertEquals("LoadBalancer", GatewayResources.service(gw).getSpec().getType());
        assertEquals("Local", GatewayResources.service(gw).getSpec().getExternalTrafficPolicy());
    }

    @Test
    void configHashFollowsContentAndIsKeyed() {
        String a = GatewayResources.configHash("uid-1", "tunnels: []");
        assertEquals(a, GatewayResources.configHash("uid-1", "tunnels: []"));
        assertNotEquals(a, GatewayResources.configHash("uid-1", "tunnels: [x]"));
        assertNotEquals(a, GatewayResources.configHash("uid-2", "tunnels: []"));
        assertEquals(32, a.length());
    }
}
