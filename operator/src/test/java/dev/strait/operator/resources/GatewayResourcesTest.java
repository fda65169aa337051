package dev.strait.operator.resources;

import static dev.strait.operator.Fixtures.gateway;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.GatewaySpec;
import dev.strait.operator.crd.IPsecGateway;
import java.util.List;
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
    void gatewayPodGetsTheTunDeviceAndOnlyTheCapabilitiesItNeeds() {
        var pod = GatewayResources.deployment(gateway("ns", "edge", 1), "default:1", "h").getSpec().getTemplate().getSpec();
        var container = pod.getContainers().getFirst();
        var security = container.getSecurityContext();
        assertEquals(List.of("ALL"), security.getCapabilities().getDrop());
        assertEquals(List.of("NET_ADMIN", "NET_BIND_SERVICE"), security.getCapabilities().getAdd());
        assertFalse(security.getAllowPrivilegeEscalation());
        assertTrue(security.getReadOnlyRootFilesystem());
        assertNull(security.getPrivileged());
        var tun = volume(pod, "tun");
        assertEquals("/dev/net/tun", tun.getHostPath().getPath());
        assertEquals("CharDevice", tun.getHostPath().getType());
        assertEquals("/dev/net/tun", mountPath(container, "tun"));
        assertNotNull(volume(pod, "tmp").getEmptyDir(), "the JVM's hsperfdata needs a writable /tmp");
        assertEquals("/tmp", mountPath(container, "tmp"));
        assertEquals("/readyz", container.getReadinessProbe().getHttpGet().getPath());
    }

    @Test
    void activeStandbyRolloutsDoNotWaitForASecondReadyReplica() {
        // Only the active replica is ready: a rollout that keeps one ready pod besides it would never finish.
        var podNetwork = GatewayResources.strategy(2, false).getRollingUpdate();
        assertEquals(2, podNetwork.getMaxUnavailable().getIntVal());
        assertEquals(1, podNetwork.getMaxSurge().getIntVal());
        var hostNetwork = GatewayResources.strategy(2, true).getRollingUpdate();
        assertEquals(2, hostNetwork.getMaxUnavailable().getIntVal());
        assertEquals(0, hostNetwork.getMaxSurge().getIntVal());
        assertEquals(1, GatewayResources.strategy(1, true).getRollingUpdate().getMaxUnavailable().getIntVal());
    }

    private static io.fabric8.kubernetes.api.model.Volume volume(io.fabric8.kubernetes.api.model.PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst().orElseThrow();
    }

    private static String mountPath(io.fabric8.kubernetes.api.model.Container c, String volume) {
        return c.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).findFirst().orElseThrow()
                .getMountPath();
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
