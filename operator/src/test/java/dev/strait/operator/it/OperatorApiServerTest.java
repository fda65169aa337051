package dev.strait.operator.it;

import static dev.strait.operator.Fixtures.gateway;
import static dev.strait.operator.Fixtures.psk;
import static dev.strait.operator.Fixtures.tunnel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.GatewaySpec;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelStatus;
import dev.strait.gateway.config.ConfigLoader;
import dev.strait.gateway.testing.TestApiServer;
import dev.strait.operator.OperatorMetrics;
import dev.strait.operator.StraitOperator;
import dev.strait.operator.crd.IPsecGateway;
import dev.strait.operator.crd.IPsecTunnel;
import dev.strait.operator.resources.GatewayResources;
import dev.strait.operator.routing.RouteAgentCondition;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** The operator, in-process, against a real kube-apiserver 1.20.2 (one per class, one namespace per test). */
class OperatorApiServerTest {
    static final String IMAGE = "registry.example/strait-gateway:test";
    static final String KEY1 = "first-pre-shared-key-0123456789";
    static final String KEY2 = "second-pre-shared-key-987654321";
    /** The release namespace, where the route agent pods run. */
    static final String AGENTS = "strait-agents";

    static TestApiServer api;
    static KubernetesClient client;
    static StraitOperator operator;

    @BeforeAll
    static void start() throws Exception {
        api = TestApiServer.start();
        client = api.client();
        api.installGeneratedCrds(TestApiServer.TUNNEL_CRD, TestApiServer.GATEWAY_CRD);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(AGENTS).endMetadata().build()).create();
        // No controller manager: the ServiceAccount admission plugin still wants the pods' account to exist.
        client.resource(new ServiceAccountBuilder().withNewMetadata().withName("default").withNamespace(AGENTS)
                .endMetadata().build()).create();
        operator = startOperator(null);
    }

    static StraitOperator startOperator(String leaseNamespace) {
        return new StraitOperator(client, IMAGE, leaseNamespace, false, AGENTS, new OperatorMetrics()).start();
    }

    @AfterAll
    static void stop() {
        if (operator != null) {
            operator.close();
        }
        if (api != null) {
            api.close();
        }
    }

    /** A fresh namespace with PSK Secret "psk" (KEY1) and a one-replica IPsecGateway "gw": where most tests start. */
    static String namespaceWithGateway(TestInfo info) {
        String ns = namespace(info);
        create(psk(ns, "psk", KEY1));
        create(gateway(ns, "gw", 1));
        return ns;
    }

    static String namespace(TestInfo info) {
        String ns = info.getTestMethod().orElseThrow().getName().toLowerCase().replaceAll("[^a-z0-9]", "").substring(0, 12)
                + "-" + Long.toHexString(System.nanoTime() & 0xffff);
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        return ns;
    }

    static <T> T await(String what, Supplier<T> probe) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            T v = probe.get();
            if (v != null && !Boolean.FALSE.equals(v)) {
                return v;
            }
            sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static GatewayConfig config(String ns, String gw) {
        Secret s = client.secrets().inNamespace(ns).withName(GatewayResources.configSecretName(gw)).get();
        if (s == null) {
            return null;
        }
        String yaml = new String(Base64.getDecoder().decode(s.getData().get(GatewayResources.CONFIG_KEY)),
                StandardCharsets.UTF_8);
        try {
            return ConfigLoader.parse(yaml); // the gateway's own loader and validator must accept it
        } catch (Exception e) {
            throw new AssertionError("gateway rejects the rendered config: " + e.getMessage(), e);
        }
    }

    static List<String> tunnelNames(String ns, String gw) {
        GatewayConfig c = config(ns, gw);
        return c == null ? null : c.tunnels.stream().map(t -> t.name).toList();
    }

    static TunnelStatus.Condition configValid(String ns, String name) {
        IPsecTunnel t = client.resources(IPsecTunnel.class).inNamespace(ns).withName(name).get();
        if (t == null || t.getStatus() == null) {
            return null;
        }
        return t.getStatus().conditions.stream().filter(c -> "ConfigValid".equals(c.type)).findFirst().orElse(null);
    }

    static <T extends HasMetadata> T create(T r) {
        return client.resource(r).create();
    }

    static void assertOwnedBy(HasMetadata r, IPsecGateway gw) {
        List<OwnerReference> refs = r.getMetadata().getOwnerReferences();
        assertEquals(1, refs.size(), r.getKind() + " owner references");
        assertEquals(gw.getMetadata().getUid(), refs.getFirst().getUid());
        assertEquals("IPsecGateway", refs.getFirst().getKind());
        assertTrue(refs.getFirst().getController());
    }

    /** Two replicas behind a NodePort Service, with a node selector, a toleration and resource requests. */
    static IPsecGateway everyPodOption(String ns, String name) {
        IPsecGateway gw = gateway(ns, name, 2);
        gw.getSpec().service.type = GatewaySpec.ServiceType.NodePort;
        gw.getSpec().nodeSelector = Map.of("strait.dev/gateway", "true");
        GatewaySpec.Toleration tol = new GatewaySpec.Toleration();
        tol.key = "dedicated";
        tol.operator = GatewaySpec.TolerationOperator.Equal;
        tol.value = "vpn";
        tol.effect = GatewaySpec.TolerationEffect.NoSchedule;
        gw.getSpec().tolerations = List.of(tol);
        gw.getSpec().resources = new GatewaySpec.Resources();
        gw.getSpec().resources.requests = Map.of("cpu", "100m", "memory", "128Mi");
        return gw;
    }

    @Test
    void gatewayAndTunnelBecomeDeploymentServiceRbacAndConfig(TestInfo info) {
        String ns = namespace(info);
        create(psk(ns, "edge-psk", KEY1));
        IPsecGateway gw = create(everyPodOption(ns, "edge"));
        create(tunnel(ns, "branch-1", "edge", "edge-psk", "192.168.10.0/24"));

        GatewayConfig cfg = await("config with branch-1", () -> {
            GatewayConfig c = config(ns, "edge");
            return c != null && c.tunnels.size() == 1 ? c : null;
        });
        TunnelConfig t = cfg.tunnels.getFirst();
        assertEquals("branch-1", t.name);
        assertEquals(ns, t.namespace);
        assertEquals(KEY1, t.auth.psk.value);
        assertNull(t.auth.psk.secretRef);
        assertEquals(List.of("192.168.10.0/24"), t.remote.subnets);
        assertEquals(ns, cfg.kubernetes.namespace);
        assertEquals("edge", cfg.kubernetes.gatewayName);
        assertEquals("edge-leader", cfg.kubernetes.leaseName);
        assertEquals("edge-config", cfg.kubernetes.configSecret, "the gateway follows its config Secret");
        // The kubelet's probes and Prometheus reach the pod IP; the gateway keeps /status to the pod itself.
        assertEquals("0.0.0.0", cfg.admin.address, "health and metrics listen on the pod IP");
        assertEquals(GatewayResources.ADMIN_PORT, cfg.admin.port);

        Deployment d = await("deployment", () -> client.apps().deployments().inNamespace(ns).withName("edge").get());
        assertOwnedBy(d, gw);
        assertEquals(2, d.getSpec().getReplicas());
        var pod = d.getSpec().getTemplate().getSpec();
        Container c = pod.getContainers().getFirst();
        assertEquals(IMAGE, c.getImage());
        assertEquals(List.of("run", "--config", "/etc/strait/gateway.yaml"), c.getArgs());
        assertEquals(List.of("NET_ADMIN", "NET_BIND_SERVICE"), c.getSecurityContext().getCapabilities().getAdd());
        assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop());
        assertEquals("/healthz", c.getLivenessProbe().getHttpGet().getPath());
        assertEquals(9090, c.getLivenessProbe().getHttpGet().getPort().getIntVal());
        assertEquals("/readyz", c.getReadinessProbe().getHttpGet().getPath());
        assertEquals("edge-config", pod.getVolumes().getFirst().getSecret().getSecretName());
        assertEquals("/etc/strait", c.getVolumeMounts().getFirst().getMountPath());
        assertEquals("edge-gateway", pod.getServiceAccountName());
        assertEquals(Map.of("strait.dev/gateway", "true"), pod.getNodeSelector());
        assertEquals("dedicated", pod.getTolerations().getFirst().getKey());
        assertEquals("100m", c.getResources().getRequests().get("cpu").toString());
        assertNotNull(pod.getAffinity().getPodAntiAffinity());
        String hash = d.getSpec().getTemplate().getMetadata().getAnnotations().get(GatewayResources.CONFIG_HASH_ANNOTATION);
        assertNotNull(hash);

        Service svc = await("service", () -> client.services().inNamespace(ns).withName("edge").get());
        assertOwnedBy(svc, gw);
        assertEquals("NodePort", svc.getSpec().getType());
        assertEquals(List.of(500, 4500), svc.getSpec().getPorts().stream().map(p -> p.getPort()).toList());
        assertTrue(svc.getSpec().getPorts().stream().allMatch(p -> "UDP".equals(p.getProtocol())));

        assertOwnedBy(client.serviceAccounts().inNamespace(ns).withName("edge-gateway").get(), gw);
        Role role = client.rbac().roles().inNamespace(ns).withName("edge-gateway").get();
        assertOwnedBy(role, gw);
        assertTrue(role.getRules().stream().anyMatch(r -> r.getResources().equals(List.of("secrets"))
                && r.getResourceNames().equals(List.of("edge-config")) && r.getVerbs().equals(List.of("get", "watch"))));
        assertTrue(role.getRules().stream().anyMatch(r -> r.getResources().equals(List.of("ipsectunnels/status"))
                && r.getVerbs().equals(List.of("patch"))));
        assertTrue(role.getRules().stream().anyMatch(r -> r.getResources().equals(List.of("leases"))));
        var binding = client.rbac().roleBindings().inNamespace(ns).withName("edge-gateway").get();
        assertOwnedBy(binding, gw);
        assertEquals("edge-gateway", binding.getSubjects().getFirst().getName());
        assertOwnedBy(client.secrets().inNamespace(ns).withName("edge-config").get(), gw);

        TunnelStatus.Condition cond = await("ConfigValid=True", () -> configValid(ns, "branch-1"));
        assertEquals("True", cond.status);
        IPsecTunnel tunnel = client.resources(IPsecTunnel.class).inNamespace(ns).withName("branch-1").get();
        assertEquals("Pending", tunnel.getStatus().phase);
        assertTrue(tunnel.getMetadata().getFinalizers().stream().anyMatch(f -> f.contains("strait.dev")));
        // The PSK lives only in the config Secret: never in status, events, or the gateway's status.
        assertFalse(Serialization.asJson(tunnel).contains(KEY1));
        assertFalse(Serialization.asJson(client.resources(IPsecGateway.class).inNamespace(ns).withName("edge").get())
                .contains(KEY1));
        assertFalse(Serialization.asJson(client.v1().events().inNamespace(ns).list()).contains(KEY1));
        assertFalse(Serialization.asJson(d).contains(KEY1));
        IPsecGateway gwNow = await("gateway status", () -> {
            IPsecGateway g = client.resources(IPsecGateway.class).inNamespace(ns).withName("edge").get();
            return g.getStatus() != null && Integer.valueOf(1).equals(g.getStatus().tunnels) ? g : null;
        });
        assertEquals(gwNow.getMetadata().getGeneration(), gwNow.getStatus().observedGeneration);

    }

    /**
     * The exact objects of two gateways: one with every pod option, a NodePort Service and a certificate tunnel; one
     * with hostNetwork and no Service. Recorded in src/test/resources/manifests/gateway-objects.json (rewrite it with
     * -Dstrait.manifests.record=true, and review the diff): a change of what the operator applies shows there.
     */
    @Test
    void theObjectsAreTheRecordedManifests(TestInfo info) throws Exception {
        String ns = namespace(info);
        create(psk(ns, "psk", KEY1));
        create(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("tls").withNamespace(ns)
                .endMetadata().withStringData(Map.of("tls.crt", "CERT PEM", "tls.key", "KEY PEM", "ca.crt", "CA PEM"))
                .build());
        create(everyPodOption(ns, "edge"));
        IPsecGateway host = gateway(ns, "host", 1);
        host.getSpec().hostNetwork = true;
        host.getSpec().service.type = GatewaySpec.ServiceType.None;
        create(host);
        create(tunnel(ns, "psk-tunnel", "edge", "psk", "192.168.1.0/24"));
        IPsecTunnel cert = tunnel(ns, "cert-tunnel", "edge", "psk", "192.168.2.0/24");
        cert.getSpec().auth.psk = null;
        cert.getSpec().auth.certificate = new dev.strait.api.v1alpha1.TunnelSpec.Certificate();
        cert.getSpec().auth.certificate.secretRef = new dev.strait.api.v1alpha1.TunnelSpec.SecretRef();
        cert.getSpec().auth.certificate.secretRef.name = "tls";
        create(cert);
        create(tunnel(ns, "host-tunnel", "host", "psk", "192.168.3.0/24"));
        await("edge config", () -> List.of("cert-tunnel", "psk-tunnel").equals(tunnelNames(ns, "edge")));
        await("host config", () -> List.of("host-tunnel").equals(tunnelNames(ns, "host")));
        for (String t : List.of("psk-tunnel", "cert-tunnel", "host-tunnel")) {
            await(t + " valid", () -> configValid(ns, t) != null && "True".equals(configValid(ns, t).status));
        }
        for (String g : List.of("edge", "host")) {
            await(g + " status", () -> {
                IPsecGateway x = client.resources(IPsecGateway.class).inNamespace(ns).withName(g).get();
                return x.getStatus() != null && x.getStatus().tunnels != null
                        && x.getStatus().tunnels == (g.equals("edge") ? 2 : 1);
            });
        }
        List<HasMetadata> objects = new java.util.ArrayList<>();
        for (String g : List.of("edge", "host")) {
            objects.add(client.apps().deployments().inNamespace(ns).withName(g).get());
            objects.add(client.secrets().inNamespace(ns).withName(g + "-config").get());
            objects.add(client.serviceAccounts().inNamespace(ns).withName(g + "-gateway").get());
            objects.add(client.rbac().roles().inNamespace(ns).withName(g + "-gateway").get());
            objects.add(client.rbac().roleBindings().inNamespace(ns).withName(g + "-gateway").get());
        }
        objects.add(client.services().inNamespace(ns).withName("edge").get());
        assertNull(client.services().inNamespace(ns).withName("host").get(), "type None: no Service");
        for (String g : List.of("edge", "host")) {
            assertEquals(List.of(), client.resources(IPsecGateway.class).inNamespace(ns).withName(g).get().getMetadata()
                    .getFinalizers(), "an IPsecGateway carries no finalizer: its objects go with it (owner references)");
        }
        for (String g : List.of("edge", "host")) {
            // The one value the snapshot leaves out: the pod template's hash, keyed with the config Secret's UID.
            IPsecGateway x = client.resources(IPsecGateway.class).inNamespace(ns).withName(g).get();
            assertEquals(GatewayResources.configHash(client.secrets().inNamespace(ns).withName(g + "-config").get()
                            .getMetadata().getUid(), dev.strait.operator.config.ConfigRenderer.startSettingsYaml(x)),
                    templateHash(client.apps().deployments().inNamespace(ns).withName(g).get()));
        }
        String snapshot = ManifestSnapshot.of(ns, objects);
        java.nio.file.Path recorded = java.nio.file.Path.of("src/test/resources/manifests/gateway-objects.json");
        if (Boolean.getBoolean("strait.manifests.record")) {
            java.nio.file.Files.writeString(recorded, snapshot);
        }
        assertEquals(java.nio.file.Files.readString(recorded), snapshot);
    }

    /**
     * Tunnel additions, edits, deletions and PSK rotations reach the gateway through its config Secret: the pod
     * template must not change (it would re-create every pod and drop every other tunnel). An image or datapath change
     * must. The Deployment's generation counts template changes: it may rise by exactly the two the test makes.
     */
    @Test
    void tunnelChangesAndPskRotationLeaveThePodTemplateAlone(TestInfo info) {
        String ns = namespace(info);
        create(psk(ns, "psk-1", KEY1));
        create(psk(ns, "psk-2", KEY1));
        create(gateway(ns, "gw", 1));
        create(tunnel(ns, "first", "gw", "psk-1", "192.168.1.0/24"));
        create(tunnel(ns, "second", "gw", "psk-2", "192.168.2.0/24"));
        await("two tunnels", () -> List.of("first", "second").equals(tunnelNames(ns, "gw")));
        Deployment before = await("deployment", () -> client.apps().deployments().inNamespace(ns).withName("gw").get());
        long generation = before.getMetadata().getGeneration();
        String hash = templateHash(before);

        create(tunnel(ns, "third", "gw", "psk-1", "192.168.3.0/24"));
        await("third added", () -> List.of("first", "second", "third").equals(tunnelNames(ns, "gw")));
        client.resources(IPsecTunnel.class).inNamespace(ns).withName("first").patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"spec\":{\"remote\":{\"subnets\":[\"192.168.11.0/24\"]}}}");
        await("first edited", () -> List.of("192.168.11.0/24").equals(renderedTunnel(ns, "gw", "first").remote.subnets));
        client.resource(psk(ns, "psk-2", KEY2)).update();
        await("second's PSK rotated", () -> KEY2.equals(renderedTunnel(ns, "gw", "second").auth.psk.value));
        client.resources(IPsecTunnel.class).inNamespace(ns).withName("third").delete();
        await("third deleted", () -> List.of("first", "second").equals(tunnelNames(ns, "gw")));

        // The operator handles one gateway's events in order: once the image change shows, the tunnel changes before
        // it have all been applied to the Deployment.
        patchGateway(ns, "gw", "{\"spec\":{\"image\":\"registry.example/strait-gateway:next\"}}");
        Deployment newImage = await("new image", () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName("gw").get();
            return d.getSpec().getTemplate().getSpec().getContainers().getFirst().getImage().endsWith(":next") ? d : null;
        });
        assertEquals(generation + 1, newImage.getMetadata().getGeneration(),
                "only the image change touched the pod template");
        assertEquals(hash, templateHash(newImage), "the image is in the template itself, not in the hash");

        patchGateway(ns, "gw", "{\"spec\":{\"datapath\":{\"mtu\":1380}}}");
        Deployment newMtu = await("new hash after a datapath change", () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName("gw").get();
            return hash.equals(templateHash(d)) ? null : d;
        });
        assertEquals(generation + 2, newMtu.getMetadata().getGeneration());
        assertEquals(1380, config(ns, "gw").datapath.mtu);
    }

    static String templateHash(Deployment d) {
        return d.getSpec().getTemplate().getMetadata().getAnnotations().get(GatewayResources.CONFIG_HASH_ANNOTATION);
    }

    static TunnelConfig renderedTunnel(String ns, String gw, String name) {
        return config(ns, gw).tunnels.stream().filter(t -> t.name.equals(name)).findFirst().orElseThrow();
    }

    static void patchGateway(String ns, String name, String mergePatch) {
        client.resources(IPsecGateway.class).inNamespace(ns).withName(name).patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                mergePatch);
    }

    @Test
    void deletedTunnelLeavesTheConfigBeforeItsFinalizerGoes(TestInfo info) {
        String ns = namespaceWithGateway(info);
        create(tunnel(ns, "keep", "gw", "psk", "192.168.1.0/24"));
        create(tunnel(ns, "drop", "gw", "psk", "192.168.2.0/24"));
        await("both tunnels", () -> List.of("drop", "keep").equals(tunnelNames(ns, "gw")));
        assertNull(config(ns, "gw").kubernetes.leaseName, "a single replica needs no lease");

        client.resources(IPsecTunnel.class).inNamespace(ns).withName("drop").delete();
        await("drop gone from the API", () -> client.resources(IPsecTunnel.class).inNamespace(ns).withName("drop").get() == null);
        assertEquals(List.of("keep"), tunnelNames(ns, "gw"), "the finalizer must outlive the tunnel's config entry");
    }

    @Test
    void tunnelWaitingForItsGatewayIsPickedUpWhenTheGatewayAppears(TestInfo info) {
        String ns = namespace(info);
        create(psk(ns, "psk", KEY1));
        create(tunnel(ns, "early", "late", "psk", "192.168.1.0/24"));
        TunnelStatus.Condition c = await("GatewayNotFound", () -> configValid(ns, "early"));
        assertEquals("GatewayNotFound", c.reason);
        create(gateway(ns, "late", 1));
        await("early in config", () -> List.of("early").equals(tunnelNames(ns, "late")));
        await("early valid", () -> "True".equals(configValid(ns, "early").status));
        assertEquals("Pending", client.resources(IPsecTunnel.class).inNamespace(ns).withName("early").get()
                .getStatus().phase);
    }

    @Test
    void tunnelMovedToAnotherGatewayLeavesTheOldConfig(TestInfo info) {
        String ns = namespace(info);
        create(psk(ns, "psk", KEY1));
        create(gateway(ns, "a", 1));
        create(gateway(ns, "b", 1));
        create(tunnel(ns, "mover", "a", "psk", "192.168.1.0/24"));
        await("mover on a", () -> List.of("mover").equals(tunnelNames(ns, "a")));
        // A merge patch carries no resourceVersion, so it cannot race the operator's own finalizer/status writes.
        client.resources(IPsecTunnel.class).inNamespace(ns).withName("mover").patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"spec\":{\"gatewayRef\":{\"name\":\"b\"}}}");
        await("mover on b", () -> List.of("mover").equals(tunnelNames(ns, "b")));
        await("mover off a", () -> List.of().equals(tunnelNames(ns, "a")));
    }

    @Test
    void invalidTunnelsGetTheirConditionWhileTheOthersStay(TestInfo info) {
        String ns = namespaceWithGateway(info);
        create(tunnel(ns, "good", "gw", "psk", "192.168.0.0/16"));
        await("good in config", () -> List.of("good").equals(tunnelNames(ns, "gw")));

        create(tunnel(ns, "no-gateway", "missing", "psk", "10.1.0.0/24"));
        create(tunnel(ns, "no-secret", "gw", "absent", "10.2.0.0/24"));
        IPsecTunnel noKey = tunnel(ns, "no-key", "gw", "psk", "10.3.0.0/24");
        noKey.getSpec().auth.psk.secretRef.key = "wrong";
        create(noKey);
        IPsecTunnel weak = tunnel(ns, "weak", "gw", "psk", "10.4.0.0/24");
        weak.getSpec().ike.proposals = List.of("3des-md5-modp1024");
        create(weak);
        create(tunnel(ns, "overlap", "gw", "psk", "192.168.7.0/24"));
        IPsecTunnel badSpec = tunnel(ns, "bad-spec", "gw", "psk", "10.5.0.0/24");
        badSpec.getSpec().peer.address = "peer.example.com";
        create(badSpec);
        create(tunnel(ns, "also-good", "gw", "psk", "10.6.0.0/24"));
        // The careless-operator cases of issue 14: the same refusals as the gateway's `check`.
        create(psk(ns, "blank", " ".repeat(20)));
        create(tunnel(ns, "blank-key", "gw", "blank", "10.7.0.0/24"));
        IPsecTunnel fastRekey = tunnel(ns, "fast-rekey", "gw", "psk", "10.8.0.0/24");
        fastRekey.getSpec().ike.rekeyAfter = "1ms";
        create(fastRekey);
        IPsecTunnel v6Peer = tunnel(ns, "v6-peer", "gw", "psk", "10.9.0.0/24");
        v6Peer.getSpec().peer.address = "2001:db8::10";
        create(v6Peer);
        create(tunnel(ns, "local-overlap", "gw", "psk", "10.244.3.0/24")); // the fixtures' local subnet is 10.244.0.0/16

        Map<String, String[]> expected = Map.ofEntries(
                Map.entry("blank-key", new String[] {"InvalidSpec", "spec.auth.psk.secretRef"}),
                Map.entry("fast-rekey", new String[] {"InvalidSpec", "spec.ike.rekeyAfter: 1ms is shorter than the minimum of 10s"}),
                Map.entry("v6-peer", new String[] {"InvalidSpec", "spec.peer.address: is an IPv6 address"}),
                Map.entry("local-overlap", new String[] {"SubnetOverlap", "spec.remote.subnets[0]: 10.244.3.0/24 overlaps"}),
                Map.entry("no-gateway", new String[] {"GatewayNotFound", "spec.gatewayRef.name"}),
                Map.entry("no-secret", new String[] {"SecretNotFound", "spec.auth.psk.secretRef.name"}),
                Map.entry("no-key", new String[] {"SecretKeyNotFound", "spec.auth.psk.secretRef.key"}),
                Map.entry("weak", new String[] {"InvalidProposal", "spec.ike.proposals[0]"}),
                Map.entry("overlap", new String[] {"SubnetOverlap", "spec.remote.subnets[0]"}),
                Map.entry("bad-spec", new String[] {"InvalidSpec", "spec.peer.address"}));
        expected.forEach((name, want) -> {
            TunnelStatus.Condition c = await(name + " condition", () -> {
                TunnelStatus.Condition x = configValid(ns, name);
                return x != null && "False".equals(x.status) ? x : null;
            });
            assertEquals(want[0], c.reason, name + ": " + c.message);
            assertTrue(c.message.startsWith(want[1]), name + " message names the field: " + c.message);
            assertFalse(c.message.contains(KEY1));
            assertEquals("Failed", client.resources(IPsecTunnel.class).inNamespace(ns).withName(name).get()
                    .getStatus().phase);
        });
        await("valid tunnels stay", () -> List.of("also-good", "good").equals(tunnelNames(ns, "gw")));
        assertEquals("True", configValid(ns, "good").status);

        // Fixing the input heals the tunnel without touching the others.
        create(new io.fabric8.kubernetes.api.model.SecretBuilder(psk(ns, "absent", KEY2)).build());
        await("no-secret healed", () -> List.of("also-good", "good", "no-secret").equals(tunnelNames(ns, "gw")));
    }

    /** A merge patch, not an edit: it carries no resourceVersion, so the operator's own writes cannot make it a 409. */
    private void setMaxHalfOpen(String ns, int value) {
        client.resources(IPsecGateway.class).inNamespace(ns).withName("gw").patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"spec\":{\"ike\":{\"dos\":{\"maxHalfOpen\":" + value + "}}}}");
    }

    @Test
    void gatewayDosLimitsAreRenderedAndABadOneKeepsTheLastGoodConfig(TestInfo info) {
        String ns = namespace(info);
        create(psk(ns, "psk", KEY1));
        IPsecGateway gw = gateway(ns, "gw", 1);
        gw.getSpec().ike = new dev.strait.api.v1alpha1.GatewaySpec.Ike();
        gw.getSpec().ike.dos = new GatewayConfig.Dos();
        gw.getSpec().ike.dos.maxHalfOpenPerSource = 64;
        create(gw);
        create(tunnel(ns, "t", "gw", "psk", "10.7.0.0/24"));
        GatewayConfig rendered = await("dos limits rendered", () -> {
            GatewayConfig c = config(ns, "gw");
            return c != null && c.tunnels.size() == 1 ? c : null;
        });
        assertEquals(64, rendered.ike.dos.maxHalfOpenPerSource);
        assertEquals(2048, rendered.ike.dos.maxHalfOpen);

        // per source above the total passes the schema (each field is in range) but not the gateway's check
        setMaxHalfOpen(ns, 10);
        TunnelStatus.Condition c = await("gateway condition InvalidSpec", () -> {
            IPsecGateway x = client.resources(IPsecGateway.class).inNamespace(ns).withName("gw").get();
            return x.getStatus() != null && !x.getStatus().conditions.isEmpty()
                    && "InvalidSpec".equals(x.getStatus().conditions.getFirst().reason) ? x.getStatus().conditions.getFirst() : null;
        });
        assertEquals("False", c.status);
        assertTrue(c.message.startsWith("spec.ike.dos.maxHalfOpenPerSource"), c.message);
        assertEquals(2048, config(ns, "gw").ike.dos.maxHalfOpen, "the running config is kept");

        setMaxHalfOpen(ns, 100);
        await("fixed spec rendered", () -> config(ns, "gw").ike.dos.maxHalfOpen == 100 ? true : null);
        await("condition back to True", () -> {
            IPsecGateway x = client.resources(IPsecGateway.class).inNamespace(ns).withName("gw").get();
            return "True".equals(x.getStatus().conditions.getFirst().status) ? true : null;
        });
    }

    /** type None removes the Service the operator made, never another of that name; the gateway's other objects stay. */
    @Test
    void serviceTypeNoneRemovesOnlyTheOperatorsService(TestInfo info) {
        String ns = namespace(info);
        create(gateway(ns, "gw", 1));
        create(gateway(ns, "other", 1));
        await("gw's service", () -> client.services().inNamespace(ns).withName("gw").get());
        await("other's service", () -> client.services().inNamespace(ns).withName("other").get());
        patchGateway(ns, "other", "{\"spec\":{\"service\":{\"type\":\"None\"}}}");
        await("other's service deleted", () -> client.services().inNamespace(ns).withName("other").get() == null);
        // Someone else's Service where "other" had its own: the operator must leave it alone.
        Service foreign = create(new io.fabric8.kubernetes.api.model.ServiceBuilder().withNewMetadata().withName("other")
                .withNamespace(ns).endMetadata().withNewSpec().addNewPort().withPort(80).endPort().endSpec().build());

        patchGateway(ns, "gw", "{\"spec\":{\"service\":{\"type\":\"None\"}}}");
        await("gw's service deleted", () -> client.services().inNamespace(ns).withName("gw").get() == null);
        assertNotNull(client.apps().deployments().inNamespace(ns).withName("gw").get(), "the Deployment stays");
        sleep(500);
        assertEquals(foreign.getMetadata().getUid(),
                client.services().inNamespace(ns).withName("other").get().getMetadata().getUid(), "not ours: kept");

        patchGateway(ns, "gw", "{\"spec\":{\"service\":{\"type\":\"NodePort\"}}}");
        Service back = await("gw's service back", () -> client.services().inNamespace(ns).withName("gw").get());
        assertEquals("NodePort", back.getSpec().getType());
    }

    /** A Secret that holds the config's name but is not the gateway's (a PSK, say) never gets a config merged in. */
    @Test
    void someoneElsesSecretUnderTheConfigNameIsLeftAlone(TestInfo info) {
        String ns = namespace(info);
        Secret theirs = new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("gw-config")
                .withNamespace(ns).endMetadata().withStringData(Map.of("owner", "another team")).build();
        create(theirs);
        create(psk(ns, "psk", KEY1));
        create(tunnel(ns, "t", "gw", "psk", "192.168.1.0/24"));
        create(gateway(ns, "gw", 1));
        sleep(1500);
        Secret s = client.secrets().inNamespace(ns).withName("gw-config").get();
        assertEquals(java.util.Set.of("owner"), s.getData().keySet(), "no gateway.yaml merged in");
        assertTrue(s.getMetadata().getOwnerReferences().isEmpty());
        assertNull(client.apps().deployments().inNamespace(ns).withName("gw").get(),
                "no Deployment for a config the gateway could not get");

        client.secrets().inNamespace(ns).withName("gw-config").delete();
        await("the gateway's own config", () -> List.of("t").equals(tunnelNames(ns, "gw")));
        await("deployment", () -> client.apps().deployments().inNamespace(ns).withName("gw").get());
    }

    @Test
    void fieldsTakenByAnotherManagerAreTakenBack(TestInfo info) {
        String ns = namespaceWithGateway(info);
        create(tunnel(ns, "t", "gw", "psk", "192.168.1.0/24"));
        await("deployment", () -> client.apps().deployments().inNamespace(ns).withName("gw").get());

        // Someone else applies replicas=3 and an extra label, forcing ownership of replicas away from us.
        Deployment intruder = new DeploymentBuilder().withNewMetadata().withName("gw").withNamespace(ns)
                .withLabels(Map.of("team", "netops")).endMetadata()
                .withNewSpec().withReplicas(3).endSpec().build();
        client.resource(intruder).fieldManager("intruder").forceConflicts().serverSideApply();

        Deployment back = await("replicas restored", () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName("gw").get();
            return d.getSpec().getReplicas() == 1 ? d : null;
        });
        assertEquals("netops", back.getMetadata().getLabels().get("team"), "fields we do not manage are left alone");
        assertTrue(back.getMetadata().getManagedFields().stream()
                .anyMatch(m -> "strait-operator".equals(m.getManager()) && "Apply".equals(m.getOperation())));
    }

    @Test
    void routesReadyFollowsTheRouteAgentPodOfEveryNode(TestInfo info) {
        String ns = namespace(info);
        create(gateway(ns, "gw", 1));
        String node1 = ns + "-node-1";
        String node2 = ns + "-node-2";
        try {
            for (String n : List.of(node1, node2)) {
                create(new NodeBuilder().withNewMetadata().withName(n).endMetadata().build());
            }
            setReady(create(agentPod(node1)), true);
            // A pod in the agents' namespace without the route-agent label is no agent.
            create(new PodBuilder(agentPod(node2)).editMetadata().withGenerateName("other-").withLabels(Map.of())
                    .endMetadata().build());
            TunnelStatus.Condition c = await("an agent missing on node 2", () -> routesReady(ns, "RouteAgentMissing"));
            assertEquals("False", c.status);
            assertTrue(c.message.contains("no agent on " + node2), c.message);
            assertFalse(c.message.contains(node1), c.message);

            Pod agent2 = create(agentPod(node2));
            c = await("node 2's agent not ready", () -> routesReady(ns, "RouteAgentNotReady"));
            assertTrue(c.message.contains("not ready on " + node2), c.message);

            setReady(agent2, true);
            c = await("every agent ready", () -> routesReady(ns, "AllNodesRouted"));
            assertEquals("True", c.status);
            IPsecGateway gw = client.resources(IPsecGateway.class).inNamespace(ns).withName("gw").get();
            assertEquals(List.of("ConfigRendered", RouteAgentCondition.TYPE),
                    gw.getStatus().conditions.stream().map(x -> x.type).toList());
            assertEquals("True", gw.getStatus().conditions.getFirst().status);
        } finally {
            client.pods().inNamespace(AGENTS).delete();
            for (String n : List.of(node1, node2)) {
                client.nodes().withName(n).delete();
            }
        }
    }

    @Test
    void activeReplicaAndFailoversComeFromTheGatewaysLeaseAndRenewalsWriteNothing(TestInfo info) {
        String ns = namespace(info);
        create(gateway(ns, "gw", 2));
        java.time.ZonedDateTime t0 = java.time.ZonedDateTime.parse("2026-12-06T04:00:00.250Z");
        var lease = create(new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder().withNewMetadata()
                .withName("gw-leader").withNamespace(ns).withAnnotations(Map.of("strait.dev/node", "node-a")).endMetadata()
                .withNewSpec().withHolderIdentity("gw-a").withLeaseDurationSeconds(10).withAcquireTime(t0)
                .withRenewTime(t0).withLeaseTransitions(0).endSpec().build());
        IPsecGateway gw = await("the active replica in the status", () -> {
            IPsecGateway g = client.resources(IPsecGateway.class).inNamespace(ns).withName("gw").get();
            return g.getStatus() != null && g.getStatus().active != null ? g : null;
        });
        assertEquals("gw-a", gw.getStatus().active.pod);
        assertEquals("node-a", gw.getStatus().active.node);
        assertEquals("2026-12-06T04:00:00.250Z", gw.getStatus().active.since);
        assertEquals(0, gw.getStatus().failovers);
        assertNull(gw.getStatus().lastFailover);

        // As the standby writes it when it takes over, then notes the failover once its tunnels are up.
        lease = client.resource(new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder(lease).editMetadata()
                .addToAnnotations("strait.dev/node", "node-b").addToAnnotations("strait.dev/last-failover",
                        "{\"from\":\"gw-a\",\"to\":\"gw-b\",\"at\":\"2026-12-06T04:01:00.100Z\",\"seconds\":1.8,"
                                + "\"reason\":\"holder's process is gone\"}").endMetadata()
                .editSpec().withHolderIdentity("gw-b").withAcquireTime(t0.plusMinutes(1)).withLeaseTransitions(1)
                .endSpec().build()).update();
        gw = await("the take-over in the status", () -> {
            IPsecGateway g = client.resources(IPsecGateway.class).inNamespace(ns).withName("gw").get();
            return g.getStatus().lastFailover != null ? g : null;
        });
        assertEquals("gw-b", gw.getStatus().active.pod);
        assertEquals("node-b", gw.getStatus().active.node);
        assertEquals(1, gw.getStatus().failovers);
        assertEquals("gw-a", gw.getStatus().lastFailover.from);
        assertEquals("gw-b", gw.getStatus().lastFailover.to);
        assertEquals(1.8, gw.getStatus().lastFailover.seconds);
        assertEquals("holder's process is gone", gw.getStatus().lastFailover.reason);

        // Renewals (every second) change nothing shown: no status write.
        String version = gw.getMetadata().getResourceVersion();
        for (int i = 1; i <= 3; i++) {
            lease = client.resource(new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder(lease).editSpec()
                    .withRenewTime(t0.plusMinutes(1).plusSeconds(i)).endSpec().build()).update();
            sleep(500);
        }
        assertEquals(version, client.resources(IPsecGateway.class).inNamespace(ns).withName("gw").get().getMetadata()
                .getResourceVersion());

        // The role lets the gateway watch its lease and read its replicas' pods.
        Role role = client.rbac().roles().inNamespace(ns).withName("gw-gateway").get();
        assertTrue(role.getRules().stream().anyMatch(r -> r.getResources().equals(List.of("leases"))
                && r.getResourceNames().equals(List.of("gw-leader")) && r.getVerbs().contains("watch")));
        assertTrue(role.getRules().stream().anyMatch(r -> r.getResources().equals(List.of("pods"))
                && r.getVerbs().equals(List.of("get", "list", "watch"))));
    }

    @Test
    void leftOutLocalSubnetsAreTheNodesPodCidrsAndTheStatusSaysSo(TestInfo info) {
        String ns = namespaceWithGateway(info);
        IPsecTunnel t = tunnel(ns, "a", "gw", "psk", "192.168.1.0/24");
        t.getSpec().local.subnets = List.of();
        create(t);
        TunnelStatus.Condition refused = await("refused without a pod CIDR", () -> {
            TunnelStatus.Condition c = configValid(ns, "a");
            return c != null && "False".equals(c.status) ? c : null;
        });
        assertTrue(refused.message.startsWith("spec.local.subnets: left out"), refused.message);

        String node = ns + "-node";
        try {
            create(new NodeBuilder().withNewMetadata().withName(node).endMetadata().withNewSpec()
                    .withPodCIDR("10.244.7.0/24").withPodCIDRs("10.244.7.0/24").endSpec().build());
            TunnelStatus.Condition valid = await("valid with the node's pod CIDR", () -> {
                TunnelStatus.Condition c = configValid(ns, "a");
                return c != null && "True".equals(c.status) ? c : null;
            });
            assertTrue(valid.message.endsWith("; local.subnets: 10.244.7.0/24 (the cluster's pod CIDR)"), valid.message);
            // config() parses with the gateway's own loader: it gets explicit subnets.
            TunnelConfig cfg = await("a in config", () -> config(ns, "gw") == null ? null
                    : config(ns, "gw").tunnels.stream().filter(x -> x.name.equals("a")).findFirst().orElse(null));
            assertEquals(List.of("10.244.7.0/24"), cfg.local.subnets);
            assertEquals(List.of(), client.resources(IPsecTunnel.class).inNamespace(ns).withName("a").get()
                    .getSpec().local.subnets, "the spec itself is left alone");
        } finally {
            client.nodes().withName(node).delete();
        }
    }

    static Pod agentPod(String node) {
        return new PodBuilder().withNewMetadata().withGenerateName("route-agent-").withNamespace(AGENTS)
                .withLabels(Map.of(RouteAgentCondition.COMPONENT_LABEL, RouteAgentCondition.COMPONENT)).endMetadata()
                .withNewSpec().withNodeName(node).withAutomountServiceAccountToken(false)
                .addNewContainer().withName("agent").withImage(IMAGE).endContainer().endSpec().build();
    }

    /** The kubelet's part: the pod's Ready condition, through the status subresource. */
    static void setReady(Pod pod, boolean ready) {
        Pod p = client.pods().inNamespace(AGENTS).withName(pod.getMetadata().getName()).get();
        p.getStatus().setConditions(List.of(new PodConditionBuilder().withType("Ready")
                .withStatus(ready ? "True" : "False").build()));
        client.resource(p).updateStatus();
    }

    /** The gateway gw's RoutesReady condition once it has the given reason, else null. */
    static TunnelStatus.Condition routesReady(String ns, String reason) {
        IPsecGateway gw = client.resources(IPsecGateway.class).inNamespace(ns).withName("gw").get();
        if (gw == null || gw.getStatus() == null || gw.getStatus().conditions == null) {
            return null;
        }
        return gw.getStatus().conditions.stream()
                .filter(c -> RouteAgentCondition.TYPE.equals(c.type) && reason.equals(c.reason)).findFirst()
                .orElse(null);
    }

    @Test
    void restartedOperatorConvergesToTheSameObjects(TestInfo info) {
        String ns = namespaceWithGateway(info);
        create(tunnel(ns, "a", "gw", "psk", "192.168.1.0/24"));
        await("a in config", () -> List.of("a").equals(tunnelNames(ns, "gw")));
        await("a valid", () -> configValid(ns, "a"));
        Map<String, String> before = versions(ns);

        operator.close();
        try {
            create(tunnel(ns, "b", "gw", "psk", "192.168.2.0/24"));
            sleep(300);
            assertEquals(List.of("a"), tunnelNames(ns, "gw"), "nothing reconciles while the operator is down");
        } finally {
            // The second life runs with leader election, as in a cluster.
            operator = startOperator(ns);
        }
        await("b in config after restart", () -> List.of("a", "b").equals(tunnelNames(ns, "gw")));
        await("b valid", () -> configValid(ns, "b"));
        Map<String, String> after = versions(ns);
        for (String kind : List.of("Service", "ServiceAccount", "Role", "RoleBinding")) {
            assertEquals(before.get(kind), after.get(kind), kind + " must not be rewritten by a restart");
        }
        var d = client.apps().deployments().inNamespace(ns).withName("gw").get();
        assertEquals(1, d.getSpec().getReplicas());
        var lease = client.leases().inNamespace(ns).withName(StraitOperator.LEASE_NAME).get();
        assertNotNull(lease, "leader election takes a lease");
        assertNotNull(lease.getSpec().getHolderIdentity());
    }

    @Test
    void adminEndpointsServeMetricsAndHealth(TestInfo info) throws Exception {
        String ns = namespaceWithGateway(info);
        create(tunnel(ns, "m", "gw", "psk", "192.168.1.0/24"));
        await("m valid", () -> configValid(ns, "m"));
        try (var admin = new dev.strait.operator.AdminServer(new java.net.InetSocketAddress("127.0.0.1", 0),
                operator.metrics(), () -> operator.isStarted() && operator.isHealthy())) {
            var http = java.net.http.HttpClient.newHttpClient();
            java.util.function.Function<String, java.net.http.HttpResponse<String>> get = path -> {
                try {
                    return http.send(java.net.http.HttpRequest.newBuilder(
                                    java.net.URI.create("http://127.0.0.1:" + admin.port() + path)).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            };
            assertEquals(200, get.apply("/healthz").statusCode());
            assertEquals(200, get.apply("/readyz").statusCode());
            String metrics = await("pending tunnel counted", () -> {
                String body = get.apply("/metrics").body();
                return body.lines().anyMatch(l -> l.startsWith("strait_tunnels{phase=\"Pending\"}")
                        && !l.endsWith(" 0.0")) ? body : null;
            });
            assertTrue(metrics.contains("strait_reconcile_duration_seconds_bucket{controller=\"ipsecgateway\""), metrics);
            assertTrue(metrics.contains("strait_reconcile_duration_seconds_count{controller=\"ipsectunnel\""));
            assertFalse(metrics.contains(KEY1));
        }
    }

    static Map<String, String> versions(String ns) {
        return Map.of(
                "Service", client.services().inNamespace(ns).withName("gw").get().getMetadata().getResourceVersion(),
                "ServiceAccount", client.serviceAccounts().inNamespace(ns).withName("gw-gateway").get().getMetadata()
                        .getResourceVersion(),
                "Role", client.rbac().roles().inNamespace(ns).withName("gw-gateway").get().getMetadata().getResourceVersion(),
                "RoleBinding", client.rbac().roleBindings().inNamespace(ns).withName("gw-gateway").get().getMetadata()
                        .getResourceVersion());
    }
}
