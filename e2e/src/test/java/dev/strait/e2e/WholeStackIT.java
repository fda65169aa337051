package dev.strait.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
 * the kubelet only at start: it writes the operator's rendered {@code <gw>-config} Secret as the gateway's config
 * file; every later version reaches the gateway through the API. The tunnel must show Established on the
 * IPsecTunnel, counters must rise under a ping, deleting the IPsecTunnel must end the IKE SA on strongSwan's side,
 * and tunnel changes must reach the running gateway in seconds without touching its other tunnels.
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
        client.resource(tunnel(s, TUNNEL, GATEWAY, "to-b-psk")).create();

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

    /**
     * Config delivery without restarts (issue 12): with two tunnels up, a third is added, the first edited (ESP
     * proposal) and the second's PSK rotated. Each change reaches the running gateway through its config Secret,
     * read through the API (the config file never changes), within seconds; the changed tunnel re-establishes with
     * the new settings, the others keep their SPIs and lose no ping, and the pod template never changes.
     */
    @Test
    void tunnelChangesReachTheRunningGatewayInSecondsWithoutTouchingTheOthers() throws Exception {
        Sites s = SITES.sites();
        String gw = "branch";
        // Each tunnel has its own identities and subnets (strongSwan picks its connection by the IDs). "second"
        // joins the real LANs; the others get LAN addresses of their own: strongSwan routes each Child SA from an
        // address in its local subnet, and a ping runs through "third".
        Tun first = new Tun("first", "10.10.1.0/24", "10.20.1.0/24", "first-psk-v1-not-secret");
        Tun second = new Tun("second", s.lanSubnetA(), s.lanSubnetB(), "second-psk-v1-not-secret");
        Tun third = new Tun("third", "10.10.3.0/24", "10.20.3.0/24", "third-psk-v1-not-secret");
        s.exec(s.nsA(), "ip", "addr", "replace", "10.10.3.1/24", "dev", "lan0").orThrow();
        s.exec(s.nsB(), "ip", "addr", "replace", "10.20.3.1/24", "dev", "lan0").orThrow();
        s.exec(s.nsB(), "ip", "addr", "replace", "10.20.1.1/24", "dev", "lan0").orThrow();
        String rotatedPsk = "second-psk-v2-not-secret";
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(List.of(first.swan(s, first.psk), second.swan(s, second.psk),
                third.swan(s, third.psk)));

        for (Tun t : List.of(first, second, third)) {
            client.resource(pskSecret(t.name + "-psk", t.psk)).create();
        }
        IPsecGateway gateway = new IPsecGateway();
        gateway.setMetadata(new ObjectMetaBuilder().withName(gw).withNamespace(NS).build());
        gateway.setSpec(new GatewaySpec());
        client.resource(gateway).create();
        client.resource(first.tunnel(s, gw)).create();
        client.resource(second.tunnel(s, gw)).create();
        String yaml = await(() -> {
            String y = renderedConfig(gw);
            return y != null && y.contains("name: first") && y.contains("name: second") ? y : null;
        }, "operator renders both tunnels");
        var deployment = client.apps().deployments().inNamespace(NS).withName(gw);
        long templateGeneration = await(() -> deployment.get(), "Deployment").getMetadata().getGeneration();

        GatewayProcess process = SITES.gateway(s.nsA(), s.transitA());
        process.start(yaml, Map.of("KUBECONFIG", kubeconfig.toString(), "POD_NAME", gw + "-0"),
                "--status-counters-interval", "2");
        process.awaitReady(Duration.ofSeconds(60));
        Map<String, IkeSa> sas = await(() -> established(swan, "first", "second"), "first and second up");
        String secret = "Secret " + NS + "/" + gw + "-config";
        await(() -> secret.equals(process.status().path("configSource").asText()) ? Boolean.TRUE : null,
                "gateway follows its config Secret through the API");

        // --- a third tunnel
        Pinger ping = Pinger.start(s, s.lanA(), s.lanB(), "second");
        long applied = System.nanoTime();
        client.resource(third.tunnel(s, gw)).create();
        awaitFast(() -> established(swan, "third"), "third Established on strongSwan");
        long onPeer = System.nanoTime();
        awaitFast(() -> phase(third.name, "Established"), "IPsecTunnel third Established");
        long onResource = System.nanoTime();
        System.out.printf("config delivery: new tunnel Established %d ms after the IPsecTunnel was created"
                + " (strongSwan), %d ms until the IPsecTunnel shows it%n", ms(onPeer - applied), ms(onResource - applied));
        ping.assertNoLoss();
        assertSameSas(sas, swan, "adding a tunnel", "first", "second");

        // --- the first tunnel edited: another ESP proposal
        ping = Pinger.start(s, s.lanA(), s.lanB(), "second");
        sas = established(swan, "first", "second", "third");
        String firstSpi = sas.get("first").initiatorSpi();
        applied = System.nanoTime();
        client.resources(IPsecTunnel.class).inNamespace(NS).withName(first.name).patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                        io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"spec\":{\"esp\":{\"proposals\":[\"aes128gcm16\"]}}}");
        IkeSa edited = awaitFast(() -> {
            IkeSa sa = established(swan).get("first");
            return sa != null && !sa.initiatorSpi().equals(firstSpi) ? sa : null;
        }, "first re-established");
        System.out.printf("config delivery: edited tunnel re-established %d ms after the IPsecTunnel change%n",
                ms(System.nanoTime() - applied));
        assertEquals(128, edited.children().getFirst().encrKeySize(), "the new ESP proposal: " + edited.proposal());
        ping.assertNoLoss();
        assertSameSas(sas, swan, "editing another tunnel", "second", "third");

        // --- the second tunnel's PSK rotated (strongSwan learns the new one first; its SAs stay)
        ping = Pinger.start(s, "10.10.3.1", "10.20.3.1", "third");
        swan.start(List.of(first.swan(s, first.psk), second.swan(s, rotatedPsk), third.swan(s, third.psk)));
        sas = established(swan, "first", "second", "third");
        String secondSpi = sas.get("second").initiatorSpi();
        applied = System.nanoTime();
        client.resource(pskSecret(second.name + "-psk", rotatedPsk)).update();
        IkeSa rotated = awaitFast(() -> {
            IkeSa sa = established(swan).get("second");
            return sa != null && !sa.initiatorSpi().equals(secondSpi) ? sa : null;
        }, "second re-established with the new PSK");
        long rotation = System.nanoTime() - applied;
        awaitFast(() -> {
            IPsecTunnel t = client.resources(IPsecTunnel.class).inNamespace(NS).withName(second.name).get();
            return t.getStatus() != null && "Established".equals(t.getStatus().phase)
                    && rotated.initiatorSpi().equals(t.getStatus().ike.spiInitiator) ? t : null;
        }, "IPsecTunnel second shows the new IKE SA");
        System.out.printf("config delivery: PSK rotation in effect (tunnel re-established) %d ms after the Secret"
                + " update, %d ms until the IPsecTunnel shows it%n", ms(rotation), ms(System.nanoTime() - applied));
        ping.assertNoLoss();
        assertSameSas(sas, swan, "rotating another tunnel's PSK", "first", "third");
        assertTrue(s.ping(s.nsA(), s.lanA(), s.lanB(), 5) > 0, "traffic through the re-established tunnel");

        // --- one process all along, the file as it was written at start, the pod template never changed
        assertTrue(process.isAlive(), "the gateway was never restarted");
        assertEquals(yaml, Files.readString(process.configFile()), "everything came through the API");
        assertEquals(templateGeneration, deployment.get().getMetadata().getGeneration(), "pod template unchanged");
        String log = Files.readString(process.logFile());
        for (String psk : List.of(first.psk, second.psk, third.psk, rotatedPsk)) {
            assertFalse(log.contains(psk), "no PSK in the gateway's log");
        }
    }

    /** One tunnel of the config-delivery test: its name, subnets and first PSK. */
    private record Tun(String name, String localSubnet, String remoteSubnet, String psk) {
        String localId() {
            return "site-a-" + name + ".test";
        }

        String peerId() {
            return "site-b-" + name + ".test";
        }

        IPsecTunnel tunnel(Sites s, String gateway) {
            IPsecTunnel t = WholeStackIT.tunnel(s, name, gateway, name + "-psk");
            t.getSpec().local.id = localId();
            t.getSpec().peer.id = peerId();
            t.getSpec().local.subnets = List.of(localSubnet);
            t.getSpec().remote.subnets = List.of(remoteSubnet);
            t.getSpec().esp.proposals = List.of("aes256gcm16");
            return t;
        }

        SwanctlConf swan(Sites s, String key) {
            return SwanctlConf.siteB(s, SwanctlConf.Role.RESPONDER).name(name).child(name)
                    .local(s.transitB(), peerId()).remote(null, localId()).psk(key)
                    .localTs(remoteSubnet).remoteTs(localSubnet)
                    .ikeProposals("aes256gcm16-prfsha384-ecp384").espProposals("aes256gcm16", "aes128gcm16").build();
        }
    }

    private static Secret pskSecret(String name, String psk) {
        return new SecretBuilder().withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withData(Map.of("psk", Base64.getEncoder().encodeToString(psk.getBytes(StandardCharsets.UTF_8))))
                .build();
    }

    /**
     * strongSwan's established IKE SAs (with an installed Child SA) by connection; null until all the named ones are.
     */
    private static Map<String, IkeSa> established(StrongSwan swan, String... connections) {
        Map<String, IkeSa> out = new java.util.HashMap<>();
        for (IkeSa sa : swan.listSas()) {
            if (sa.established() && sa.children().stream().anyMatch(c -> c.installed())) {
                out.put(sa.name(), sa);
            }
        }
        return out.keySet().containsAll(List.of(connections)) ? out : null;
    }

    /** The untouched tunnels kept their IKE SA and Child SA SPIs. */
    private static void assertSameSas(Map<String, IkeSa> before, StrongSwan swan, String change, String... untouched) {
        Map<String, IkeSa> after = established(swan, untouched);
        assertNotNull(after, "untouched tunnels still up after " + change);
        for (String name : untouched) {
            IkeSa sa = after.get(name);
            IkeSa was = before.get(name);
            assertEquals(was.initiatorSpi() + "/" + was.responderSpi(), sa.initiatorSpi() + "/" + sa.responderSpi(),
                    "IKE SA of " + name + " kept after " + change);
            assertEquals(was.children().stream().map(c -> c.spiIn() + "/" + c.spiOut()).toList(),
                    sa.children().stream().map(c -> c.spiIn() + "/" + c.spiOut()).toList(),
                    "Child SA of " + name + " kept after " + change);
        }
    }

    /** 60 pings, 0.1 s apart, from site A through a tunnel that the change made meanwhile must not touch. */
    private record Pinger(Thread thread, java.util.concurrent.atomic.AtomicInteger received, String tunnel) {
        static final int COUNT = 60;

        static Pinger start(Sites s, String source, String dest, String tunnel) {
            var received = new java.util.concurrent.atomic.AtomicInteger(-1);
            return new Pinger(Thread.ofVirtual().start(() -> received.set(s.ping(s.nsA(), source, dest, COUNT, 0.1))),
                    received, tunnel);
        }

        void assertNoLoss() throws InterruptedException {
            thread.join(Duration.ofSeconds(30));
            assertEquals(COUNT, received.get(), "pings through the untouched tunnel " + tunnel);
        }
    }

    private static Boolean phase(String tunnel, String phase) {
        IPsecTunnel t = client.resources(IPsecTunnel.class).inNamespace(NS).withName(tunnel).get();
        return t != null && t.getStatus() != null && phase.equals(t.getStatus().phase) ? Boolean.TRUE : null;
    }

    /** Waits polling every 50 ms: the test reports how long these waits took. */
    private static <T> T awaitFast(Await.Probe<T> probe, String what) {
        return Await.await(probe, Duration.ofSeconds(60), Duration.ofMillis(50), what);
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
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

    private static IPsecTunnel tunnel(Sites s, String name, String gateway, String pskSecret) {
        TunnelSpec spec = new TunnelSpec();
        spec.gatewayRef = new TunnelSpec.GatewayRef();
        spec.gatewayRef.name = gateway;
        spec.peer.address = s.transitB();
        spec.peer.id = "site-b.test";
        spec.local.id = "site-a.test";
        spec.local.subnets = List.of(s.lanSubnetA());
        spec.remote.subnets = List.of(s.lanSubnetB());
        spec.auth.psk = new TunnelSpec.Psk();
        spec.auth.psk.secretRef = new TunnelSpec.SecretKeyRef();
        spec.auth.psk.secretRef.name = pskSecret;
        spec.auth.psk.secretRef.key = "psk";
        spec.ike.proposals = List.of("aes256gcm16-prfsha384-ecp384");
        spec.esp.proposals = List.of("aes256gcm16");
        spec.encapsulation = TunnelSpec.Encapsulation.Always; // strongSwan's kernel-libipsec only does UDP 4500
        IPsecTunnel t = new IPsecTunnel();
        t.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        t.setSpec(spec);
        return t;
    }

    /** The gateway.yaml of the config Secret of {@link #GATEWAY}. */
    private static String renderedConfig() {
        return renderedConfig(GATEWAY);
    }

    private static String renderedConfig(String gateway) {
        Secret secret = client.secrets().inNamespace(NS).withName(gateway + "-config").get();
        if (secret == null || secret.getData() == null || !secret.getData().containsKey("gateway.yaml")) {
            return null;
        }
        return new String(Base64.getDecoder().decode(secret.getData().get("gateway.yaml")), StandardCharsets.UTF_8);
    }

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
