package dev.strait.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.GatewaySpec;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.api.v1alpha1.TunnelStatus;
import dev.strait.e2e.support.Await;
import dev.strait.e2e.support.Commands;
import dev.strait.e2e.support.E2eDirs;
import dev.strait.e2e.support.ExecResult;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.IkeSa;
import dev.strait.e2e.support.NetnsTcpBridge;
import dev.strait.e2e.support.Sites;
import dev.strait.e2e.support.SitesExtension;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.gateway.testing.TestApiServer;
import dev.strait.operator.OperatorMetrics;
import dev.strait.operator.StraitOperator;
import dev.strait.operator.crd.IPsecGateway;
import dev.strait.operator.crd.IPsecTunnel;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole stack on one machine: a real kube-apiserver, the operator in-process, the real gateway jar in site A
 * (reaching the API server through {@link NetnsTcpBridge}) and strongSwan in site B as responder. The test plays
 * the kubelet: it copies the operator's rendered {@code <gw>-config} Secret into the gateway's config file whenever
 * it changes. Then the tunnel must show Established on the IPsecTunnel, counters must rise under a ping, and
 * deleting the IPsecTunnel must end the IKE SA on strongSwan's side.
 */
@Timeout(240)
class WholeStackIT {
    private static final String NS = "strait-e2e";
    private static final String GATEWAY = "edge";
    private static final String TUNNEL = "to-b";
    private static final String PSK = "whole-stack-psk-not-secret";

    @RegisterExtension
    static final SitesExtension SITES = new SitesExtension();

    static TestApiServer apiServer;
    static KubernetesClient client;
    static StraitOperator operator;
    static NetnsTcpBridge bridge;
    static Path kubeconfig;

    @BeforeAll
    static void startControlPlane() throws Exception {
        apiServer = TestApiServer.start();
        client = apiServer.client();
        kubeconfig = E2eDirs.work("whole-stack").resolve("kubeconfig");
        Files.deleteIfExists(kubeconfig);
        Files.createFile(kubeconfig, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(kubeconfig, apiServer.kubeconfig());
        // kube-api-test serves on 127.0.0.1:PORT; the gateway in site A reaches it at its own 127.0.0.1:PORT.
        URI api = URI.create(client.getConfiguration().getMasterUrl());
        bridge = NetnsTcpBridge.open(SITES.sites().nsA(), new InetSocketAddress(api.getHost(), api.getPort()));
        apiServer.installCrds(E2eDirs.module().resolve("..").resolve("crds"), TestApiServer.TUNNEL_CRD,
                TestApiServer.GATEWAY_CRD);
        apiServer.createNamespace(NS);
        operator = new StraitOperator(client, "strait/gateway:e2e", null, new OperatorMetrics()).start();
    }

    @AfterAll
    static void stopControlPlane() throws Exception {
        SITES.stopAll(); // gateways first: they hand back their lease while the API server still answers
        if (operator != null) {
            operator.close();
        }
        if (bridge != null) {
            bridge.close();
        }
        if (apiServer != null) {
            apiServer.close();
        }
    }

    @Test
    void tunnelStatusCountersAndDeletionThroughTheWholeStack() throws Exception {
        Sites s = SITES.sites();
        // --- the user's objects
        client.resource(new SecretBuilder().withNewMetadata().withName("to-b-psk").withNamespace(NS).endMetadata()
                .withData(Map.of("psk", Base64.getEncoder().encodeToString(PSK.getBytes(StandardCharsets.UTF_8))))
                .build()).create();
        IPsecGateway gw = new IPsecGateway();
        gw.setMetadata(new ObjectMetaBuilder().withName(GATEWAY).withNamespace(NS).build());
        gw.setSpec(new GatewaySpec());
        gw.getSpec().replicas = 2; // active/standby: the config carries a lease name, the gateway must win it
        client.resource(gw).create();
        client.resource(tunnel(s)).create();

        // --- strongSwan in site B answers
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(SwanctlConf.siteB(s, SwanctlConf.Role.RESPONDER).psk(PSK)
                .ikeProposals("aes256gcm16-prfsha384-ecp384").espProposals("aes256gcm16").build());

        // --- the kubelet's part: the Secret's gateway.yaml becomes the pod's config file
        String yaml = await(() -> {
            String y = renderedConfig();
            return y != null && y.contains("name: " + TUNNEL) ? y : null;
        }, "operator renders the tunnel into " + GATEWAY + "-config");
        // Another replica ("edge-1", which then dies) holds the lease: our gateway starts as standby.
        java.time.ZonedDateTime now = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC);
        client.resource(new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder()
                .withNewMetadata().withName(GATEWAY + "-leader").withNamespace(NS).endMetadata()
                .withNewSpec().withHolderIdentity("edge-1").withLeaseDurationSeconds(15)
                .withAcquireTime(now).withRenewTime(now).withLeaseTransitions(0).endSpec().build()).create();
        long standbyFrom = System.nanoTime();
        GatewayProcess gateway = SITES.gateway(s.nsA(), s.transitA());
        gateway.start(yaml, Map.of("KUBECONFIG", kubeconfig.toString(), "POD_NAME", "edge-0"),
                "--status-counters-interval", "2");
        running.add(gateway);
        await(() -> gateway.httpStatus("/healthz") == 200 ? Boolean.TRUE : null, "gateway admin server up");
        await(() -> "standby".equals(gateway.status().path("replica").path("role").asText()) ? Boolean.TRUE : null,
                "gateway reports standby");
        assertEquals(503, gateway.httpStatus("/readyz"), "a standby is not ready: the Service sends it nothing");
        assertTrue(gateway.status().path("tunnels").isEmpty(), "a standby runs no tunnels");
        assertTrue(swan.listSas().isEmpty(), "a standby starts no IKE SA");
        // edge-1 never renews: the lease expires and edge-0 takes over.
        gateway.awaitReady(Duration.ofSeconds(60));
        System.out.println("standby took over after " + (System.nanoTime() - standbyFrom) / 1_000_000
                + " ms (lease 15 s)");
        assertEquals("active", gateway.status().path("replica").path("role").asText());
        assertEquals("edge-0", client.leases().inNamespace(NS).withName(GATEWAY + "-leader").get().getSpec()
                .getHolderIdentity());

        // --- Established on the resource, with SPIs strongSwan agrees with
        IkeSa sa = await(() -> swan.listSas().stream().findFirst().orElse(null), "strongSwan has the IKE SA");
        TunnelStatus st = await(() -> {
            IPsecTunnel t = client.resources(IPsecTunnel.class).inNamespace(NS).withName(TUNNEL).get();
            return t != null && t.getStatus() != null && "Established".equals(t.getStatus().phase) ? t.getStatus() : null;
        }, "IPsecTunnel " + TUNNEL + " Established");
        assertEquals(sa.initiatorSpi(), st.ike.spiInitiator);
        assertEquals(sa.responderSpi(), st.ike.spiResponder);
        assertEquals("edge-0", st.reportedBy);
        Map<String, String> conditions = new java.util.HashMap<>();
        st.conditions.forEach(c -> conditions.put(c.type, c.status));
        assertEquals(Map.of("ConfigValid", "True", "Ready", "True", "IkeEstablished", "True",
                "ChildEstablished", "True"), conditions, "operator's and gateway's conditions side by side");
        assertEquals(client.resources(IPsecTunnel.class).inNamespace(NS).withName(TUNNEL).get().getMetadata()
                .getGeneration(), st.observedGeneration);
        assertEquals(List.of(s.lanSubnetA()), st.children.getFirst().localSubnets);
        assertFalse(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(st).contains(PSK), "no PSK in the status");
        printKubectl();

        // --- counters rise while a ping runs
        List<Long> seen = new ArrayList<>();
        Thread ping = Thread.ofVirtual().start(() -> s.ping(s.nsA(), s.lanA(), s.lanB(), 40));
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline && distinctRising(seen) < 2) {
            IPsecTunnel t = client.resources(IPsecTunnel.class).inNamespace(NS).withName(TUNNEL).get();
            if (t.getStatus() != null && !t.getStatus().children.isEmpty()) {
                Long out = t.getStatus().children.getFirst().packetsOut;
                if (out != null && (seen.isEmpty() || !seen.getLast().equals(out))) {
                    seen.add(out);
                }
            }
            Thread.sleep(500);
        }
        ping.join(Duration.ofSeconds(30));
        System.out.println("packetsOut on the IPsecTunnel while pinging: " + seen);
        assertTrue(distinctRising(seen) >= 2, "counters rose at least twice: " + seen);
        IPsecTunnel after = client.resources(IPsecTunnel.class).inNamespace(NS).withName(TUNNEL).get();
        assertTrue(after.getStatus().children.getFirst().bytesIn > 0, "replies came back through the tunnel");

        // --- delete the tunnel: out of the config, IKE SA deleted, resource gone (finalizer released)
        client.resources(IPsecTunnel.class).inNamespace(NS).withName(TUNNEL).delete();
        await(() -> {
            String y = renderedConfig();
            return y != null && !y.contains("name: " + TUNNEL) ? y : null;
        }, "operator drops the tunnel from the config");
        await(() -> swan.listSas().isEmpty() ? Boolean.TRUE : null, "strongSwan's IKE SA deleted by the gateway");
        await(() -> client.resources(IPsecTunnel.class).inNamespace(NS).withName(TUNNEL).get() == null
                ? Boolean.TRUE : null, "IPsecTunnel gone once no config carries it");
        assertTrue(gateway.status().path("tunnels").isEmpty(), "gateway runs no tunnel");
        assertFalse(Files.readString(gateway.logFile()).contains(PSK), "the PSK never reaches the gateway's log");
    }

    private static int distinctRising(List<Long> seen) {
        int rises = 0;
        for (int i = 1; i < seen.size(); i++) {
            if (seen.get(i) > seen.get(i - 1)) {
                rises++;
            }
        }
        return rises;
    }

    private IPsecTunnel tunnel(Sites s) {
        TunnelSpec spec = new TunnelSpec();
        spec.gatewayRef = new TunnelSpec.GatewayRef();
        spec.gatewayRef.name = GATEWAY;
        spec.peer.address = s.transitB();
        spec.peer.id = "site-b.test";
        spec.local.id = "site-a.test";
        spec.local.subnets = List.of(s.lanSubnetA());
        spec.remote.subnets = List.of(s.lanSubnetB());
        spec.auth.psk = new TunnelSpec.Psk();
        spec.auth.psk.secretRef = new TunnelSpec.SecretKeyRef();
        spec.auth.psk.secretRef.name = "to-b-psk";
        spec.auth.psk.secretRef.key = "psk";
        spec.ike.proposals = List.of("aes256gcm16-prfsha384-ecp384");
        spec.esp.proposals = List.of("aes256gcm16");
        spec.encapsulation = TunnelSpec.Encapsulation.Always; // strongSwan's kernel-libipsec only does UDP 4500
        IPsecTunnel t = new IPsecTunnel();
        t.setMetadata(new ObjectMetaBuilder().withName(TUNNEL).withNamespace(NS).build());
        t.setSpec(spec);
        return t;
    }

    /** The gateway.yaml of the config Secret; also copies it to the gateway's file when it changed (kubelet). */
    private static String renderedConfig() {
        Secret secret = client.secrets().inNamespace(NS).withName(GATEWAY + "-config").get();
        if (secret == null || secret.getData() == null || !secret.getData().containsKey("gateway.yaml")) {
            return null;
        }
        String yaml = new String(Base64.getDecoder().decode(secret.getData().get("gateway.yaml")), StandardCharsets.UTF_8);
        for (GatewayProcess g : running) {
            try {
                if (!yaml.equals(Files.readString(g.configFile()))) {
                    g.writeConfig(yaml);
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return yaml;
    }

    private static final List<GatewayProcess> running = new java.util.concurrent.CopyOnWriteArrayList<>();

    private static void printKubectl() {
        String kubectl = Files.isExecutable(Path.of("/usr/bin/kubectl")) ? "/usr/bin/kubectl"
                : TestApiServer.binary("kubectl").toString();
        ExecResult r = Commands.run(Duration.ofSeconds(20), List.of(kubectl, "--kubeconfig", kubeconfig.toString(),
                "get", "ipsectunnel", "-n", NS, "-o", "wide"));
        System.out.println("$ kubectl get ipsectunnel -n " + NS + " -o wide\n" + r.stdout() + r.stderr());
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.stdout().contains("Established"), r.stdout());
        assertTrue(r.stdout().contains("True"), "Ready column: " + r.stdout());
        assertTrue(r.stdout().contains("edge-0"), "the active replica column: " + r.stdout());
    }

    /** The control plane converges within seconds; a minute leaves room on a busy machine. */
    private static <T> T await(Await.Probe<T> probe, String what) {
        return Await.await(probe, Duration.ofSeconds(60), what);
    }
}
