package dev.strait.gateway.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.TunnelStatus;
import dev.strait.gateway.ike.sa.TunnelSnapshot;
import dev.strait.gateway.testing.TcpForwarder;
import dev.strait.gateway.testing.TestApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** The status reporter and active/standby against a real kube-apiserver with the committed IPsecTunnel CRD. */
@Tag("apiserver") // a separate, later surefire run: CI builds kube-apiserver meanwhile (gateway/pom.xml)
class KubeApiServerTest {
    static final String NS = "gw";
    static TestApiServer api;
    static KubernetesClient client;

    @BeforeAll
    static void startApiServer() throws Exception {
        api = TestApiServer.start();
        client = api.client();
        api.createNamespace(NS);
        api.installCrds(Path.of("..", "crds"), TestApiServer.TUNNEL_CRD); // the committed one: it prunes as the real one
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
    }

    /** A clock the test moves by hand, so rate limits are exercised without sleeping. */
    static final class ManualClock extends Clock {
        volatile Instant now = Instant.parse("2025-01-01T10:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    static void createTunnel(String name) {
        GenericKubernetesResource t = new GenericKubernetesResourceBuilder()
                .withApiVersion("strait.dev/v1alpha1").withKind("IPsecTunnel")
                .withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .addToAdditionalProperties("spec", Map.of(
                        "gatewayRef", Map.of("name", "edge"),
                        "peer", Map.of("id", "peer.test"),
                        "local", Map.of("id", "local.test", "subnets", List.of("10.10.0.0/24")),
                        "remote", Map.of("subnets", List.of("10.20.0.0/24")),
                        "auth", Map.of("psk", Map.of("secretRef", Map.of("name", "psk", "key", "psk")))))
                .build();
        client.genericKubernetesResources(TunnelStatusReporter.IPSEC_TUNNELS).inNamespace(NS).resource(t).create();
    }

    /** What the operator's TunnelStatusWriter does: ConfigValid plus phase, through the status subresource. */
    static void operatorWritesConfigValid(String name, String message) {
        String patch = """
                {"status":{"phase":"Pending","conditions":[{"type":"ConfigValid","status":"True","reason":"Valid",\
                "message":"%s","lastTransitionTime":"2025-01-01T09:00:00Z"}]}}""".formatted(message);
        client.genericKubernetesResources(TunnelStatusReporter.IPSEC_TUNNELS).inNamespace(NS).withName(name)
                .subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    }

    static TunnelStatus statusOf(String name) {
        GenericKubernetesResource r = client.genericKubernetesResources(TunnelStatusReporter.IPSEC_TUNNELS)
                .inNamespace(NS).withName(name).get();
        return StatusJson.fromObject(r.getAdditionalProperties().get("status"));
    }

    static void eventually(String what, BooleanSupplier ok) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }

    /** Moves the clock on by {@code by}, lets the reporter tick once and checks how many writes it made so far. */
    private static void tickAfter(ManualClock clock, TunnelStatusReporter reporter, Duration by, int writes) {
        clock.advance(by);
        reporter.tick();
        assertEquals(writes, reporter.writes());
    }

    @Test
    void writesRuntimeStatusKeepsConfigValidAndIsRateLimited() throws Exception {
        createTunnel("branch-1");
        operatorWritesConfigValid("branch-1", "rendered into the config of gateway 'edge'");
        AtomicReference<List<TunnelSnapshot>> snaps = new AtomicReference<>(
                List.of(StatusRendererTest.established("branch-1", 100)));
        ManualClock clock = new ManualClock();
        var settings = new TunnelStatusReporter.Settings(Duration.ofHours(1), Duration.ofSeconds(5), Duration.ofSeconds(30));
        try (var reporter = new TunnelStatusReporter(client, NS, "pod-a", snaps::get, settings, clock).start()) {
            eventually("informer saw the tunnel's ConfigValid", () -> {
                reporter.setActive(true);
                reporter.tick();
                return reporter.writes() == 1;
            });
            eventually("status on the server", () -> "Established".equals(statusOf("branch-1").phase));
            TunnelStatus s = statusOf("branch-1");
            assertEquals(List.of("ConfigValid", "Ready", "IkeEstablished", "ChildEstablished"),
                    s.conditions.stream().map(c -> c.type).toList());
            assertEquals("rendered into the config of gateway 'edge'", s.conditions.getFirst().message);
            assertEquals(3L, s.observedGeneration);
            assertEquals("pod-a", s.reportedBy);
            assertEquals("8899aabbccddeeff", s.ike.spiResponder);
            assertEquals(true, s.ike.udpEncapsulation, "new status fields survive the CRD schema");
            assertEquals(100L, s.children.getFirst().bytesIn);
            assertEquals(Map.of("replay", 2L), s.children.getFirst().drops);

            // Counters alone: not before countersInterval.
            snaps.set(List.of(StatusRendererTest.established("branch-1", 5000)));
            tickAfter(clock, reporter, Duration.ofSeconds(10), 1);
            tickAfter(clock, reporter, Duration.ofSeconds(25), 2);
            eventually("counters written", () -> statusOf("branch-1").children.getFirst().bytesIn == 5000L);

            // A real change waits for minInterval after the last write, then goes out.
            snaps.set(List.of(StatusRendererTest.failing("branch-1")));
            tickAfter(clock, reporter, Duration.ofSeconds(1), 2);
            tickAfter(clock, reporter, Duration.ofSeconds(5), 3);
            eventually("failure on the server", () -> "Connecting".equals(statusOf("branch-1").phase));
            s = statusOf("branch-1");
            assertNull(s.ike);
            assertTrue(s.children.isEmpty());
            assertEquals("peer answered AUTHENTICATION_FAILED", s.lastError);
            assertEquals("AuthenticationFailed", StatusRenderer.find(s.conditions, "IkeEstablished").reason);
            assertEquals("Valid", StatusRenderer.find(s.conditions, "ConfigValid").reason);

            // Nothing changed: no write however long we wait.
            clock.advance(Duration.ofMinutes(5));
            eventually("informer caught up", () -> {
                reporter.tick();
                return "Connecting".equals(statusOf("branch-1").phase);
            });
            long before = reporter.writes();
            clock.advance(Duration.ofMinutes(5));
            reporter.tick();
            assertEquals(before, reporter.writes());

            // Standby writes nothing.
            reporter.setActive(false);
            snaps.set(List.of(StatusRendererTest.established("branch-1", 1)));
            clock.advance(Duration.ofMinutes(5));
            reporter.tick();
            assertEquals(before, reporter.writes());
        }
    }

    @Test
    void operatorWriteInBetweenIsKeptThroughTheConflictRetry() throws Exception {
        createTunnel("branch-2");
        operatorWritesConfigValid("branch-2", "first");
        GenericKubernetesResource stale = client.genericKubernetesResources(TunnelStatusReporter.IPSEC_TUNNELS)
                .inNamespace(NS).withName("branch-2").get();
        operatorWritesConfigValid("branch-2", "second"); // the reporter's copy is now out of date
        var settings = new TunnelStatusReporter.Settings(Duration.ofHours(1), Duration.ofSeconds(5), Duration.ofSeconds(30));
        try (var reporter = new TunnelStatusReporter(client, NS, "pod-a",
                () -> List.of(StatusRendererTest.established("branch-2", 1)), settings, Clock.systemUTC())) {
            assertTrue(reporter.write(StatusRendererTest.established("branch-2", 1), stale));
        }
        TunnelStatus s = statusOf("branch-2");
        assertEquals("Established", s.phase);
        assertEquals("second", StatusRenderer.find(s.conditions, "ConfigValid").message);
        assertEquals("True", StatusRenderer.find(s.conditions, "Ready").status);
    }

    @Test
    void operatorResettingPhaseIsCorrectedWithoutAnyRuntimeChange() throws Exception {
        createTunnel("branch-3");
        operatorWritesConfigValid("branch-3", "valid");
        ManualClock clock = new ManualClock();
        var settings = new TunnelStatusReporter.Settings(Duration.ofHours(1), Duration.ofSeconds(5), Duration.ofHours(1));
        try (var reporter = new TunnelStatusReporter(client, NS, "pod-a",
                () -> List.of(StatusRendererTest.established("branch-3", 1)), settings, clock).start()) {
            reporter.setActive(true);
            eventually("first write", () -> {
                reporter.tick();
                return reporter.writes() == 1;
            });
            eventually("Established on the server", () -> "Established".equals(statusOf("branch-3").phase));
            // The operator re-validates (ConfigValid flipped False and back): it seeds Pending again.
            operatorWritesConfigValid("branch-3", "valid again");
            eventually("Pending on the server", () -> "Pending".equals(statusOf("branch-3").phase));
            clock.advance(Duration.ofSeconds(6));
            eventually("the reporter's cache sees Pending and writes Established back", () -> {
                reporter.tick();
                return "Established".equals(statusOf("branch-3").phase);
            });
            assertEquals(2, reporter.writes());
            assertEquals("valid again", StatusRenderer.find(statusOf("branch-3").conditions, "ConfigValid").message);
        }
    }

    /** A fake engine: records what the election told it. */
    static final class FakeRole implements ActiveStandby.Role {
        final List<String> events = new CopyOnWriteArrayList<>();
        volatile boolean running;

        @Override
        public void becomeActive() {
            running = true;
            events.add("active");
        }

        @Override
        public void becomeStandby() {
            running = false;
            events.add("standby");
        }
    }

    @Test
    void oneActiveReplicaAndTakeOverOnReleaseAndOnExpiry() throws Exception {
        var timing = new ActiveStandby.Timing(Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(300));
        FakeRole roleA = new FakeRole();
        FakeRole roleB = new FakeRole();
        FakeRole roleC = new FakeRole();
        java.net.URI apiUrl = java.net.URI.create(client.getConfiguration().getMasterUrl());
        TcpForwarder partition = TcpForwarder.onLoopback(new InetSocketAddress(apiUrl.getHost(), apiUrl.getPort()));
        io.fabric8.kubernetes.client.Config viaProxy = io.fabric8.kubernetes.client.Config.fromKubeconfig(api.kubeconfig());
        viaProxy.setMasterUrl("https://" + apiUrl.getHost() + ":" + partition.port());
        KubeClients.failFast(viaProxy);
        KubernetesClient clientA = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(viaProxy).build();
        try (partition; clientA; var a = new ActiveStandby(clientA, NS, "edge-leader", "pod-a", timing, roleA).start()) {
            eventually("pod-a active", a::isActive);
            try (var b = new ActiveStandby(client, NS, "edge-leader", "pod-b", timing, roleB).start()) {
                eventually("pod-b sees pod-a lead", () -> "pod-a".equals(b.leader()));
                Thread.sleep(timing.leaseDuration().toMillis() + 500); // longer than a lease: renewals keep it
                assertTrue(a.isActive());
                assertFalse(b.isActive());
                assertTrue(roleA.running);
                assertFalse(roleB.running);
                assertTrue(roleB.events.isEmpty(), "standby never ran tunnels");

                // pod-a loses the API server (a partition, a crash): it stops its tunnels; pod-b takes over once the
                // lease expires.
                long cut = System.nanoTime();
                partition.cut();
                eventually("pod-a stands by", () -> !roleA.running);
                eventually("pod-b active", b::isActive);
                long tookMs = (System.nanoTime() - cut) / 1_000_000;
                assertTrue(roleB.running);
                assertEquals(List.of("active", "standby"), roleA.events);
                assertEquals("pod-b", client.leases().inNamespace(NS).withName("edge-leader").get().getSpec()
                        .getHolderIdentity());
                System.out.println("take-over after losing the leader's API access: " + tookMs + " ms");

                // A clean shutdown hands the lease over without waiting for expiry.
                try (var c = new ActiveStandby(client, NS, "edge-leader", "pod-c", timing, roleC).start()) {
                    eventually("pod-c sees pod-b lead", () -> "pod-b".equals(c.leader()));
                    long released = System.nanoTime();
                    b.close();
                    assertFalse(roleB.running, "closing stops the tunnels");
                    eventually("pod-c active", c::isActive);
                    long handover = (System.nanoTime() - released) / 1_000_000;
                    System.out.println("hand-over after release: " + handover + " ms");
                    assertTrue(handover < timing.leaseDuration().toMillis(), "released lease taken before expiry: "
                            + handover + " ms");
                    assertNotNull(c.leader());
                }
            }
        }
        assertEquals(new ArrayList<>(List.of("active", "standby")), new ArrayList<>(roleC.events));
    }

    @Test
    void aStandbyTakesOverAtOnceWhenTheHoldersProcessIsGoneAndNotesTheTakeover() throws Exception {
        // A long lease: anything quicker than it is the holder check (or the earlier process's identity) at work.
        var timing = new ActiveStandby.Timing(Duration.ofSeconds(30), Duration.ofSeconds(20), Duration.ofMillis(300));
        FakeRole roleA = new FakeRole();
        FakeRole roleB = new FakeRole();
        java.util.concurrent.atomic.AtomicBoolean aGone = new java.util.concurrent.atomic.AtomicBoolean();
        List<ActiveStandby.Takeover> takeovers = new CopyOnWriteArrayList<>();
        try (var a = new ActiveStandby(client, NS, "crash-leader", "pod-a", "node-1", timing, roleA).start()) {
            eventually("pod-a active", a::isActive);
            assertEquals("node-1", client.leases().inNamespace(NS).withName("crash-leader").get().getMetadata()
                    .getAnnotations().get(ActiveStandby.NODE_ANNOTATION));
            ActiveStandby.HolderCheck check = l -> "pod-a".equals(l.getSpec().getHolderIdentity()) && aGone.get();
            try (var b = new ActiveStandby(client, NS, "crash-leader", "pod-b", "node-2", timing, roleB)
                    .withHolderCheck(check).onTakeover(takeovers::add).start()) {
                eventually("pod-b sees pod-a lead", () -> "pod-a".equals(b.leader()));
                Thread.sleep(1_000);
                assertFalse(b.isActive(), "a live holder keeps the lease");
                long gone = System.nanoTime();
                aGone.set(true); // as GatewayPods says once kubelet reports pod-a's container dead
                b.holderChanged();
                eventually("pod-b active", b::isActive);
                long tookMs = (System.nanoTime() - gone) / 1_000_000;
                System.out.println("take-over after the holder's process was reported gone: " + tookMs + " ms");
                assertTrue(tookMs < 2_000, "taken over at once, not after the 30 s lease: " + tookMs + " ms");
                eventually("pod-a, which is alive after all here, sees pod-b hold it and stands by", () -> !roleA.running);
                var lease = client.leases().inNamespace(NS).withName("crash-leader").get();
                assertEquals("pod-b", lease.getSpec().getHolderIdentity());
                assertEquals(1, lease.getSpec().getLeaseTransitions());
                assertEquals("node-2", lease.getMetadata().getAnnotations().get(ActiveStandby.NODE_ANNOTATION));
                assertEquals(1, takeovers.size());
                assertEquals("pod-a", takeovers.getFirst().from());
                assertNotNull(takeovers.getFirst().lastRenewal());
                assertTrue(roleB.running);
            }
        }
    }

    @Test
    void aNewProcessUnderTheHoldersIdentityTakesTheLeaseAfreshAtOnce() throws Exception {
        // What a killed gateway container leaves: a lease held by its pod name, renewed a moment ago.
        java.time.ZonedDateTime before = java.time.ZonedDateTime.now(ZoneOffset.UTC).minusSeconds(5);
        client.leases().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder()
                .withNewMetadata().withName("restart-leader").withNamespace(NS).endMetadata()
                .withNewSpec().withHolderIdentity("pod-r").withLeaseDurationSeconds(30).withAcquireTime(before)
                .withRenewTime(java.time.ZonedDateTime.now(ZoneOffset.UTC)).withLeaseTransitions(3).endSpec().build())
                .create();
        var timing = new ActiveStandby.Timing(Duration.ofSeconds(30), Duration.ofSeconds(20), Duration.ofMillis(300));
        FakeRole role = new FakeRole();
        List<ActiveStandby.Takeover> takeovers = new CopyOnWriteArrayList<>();
        long start = System.nanoTime();
        try (var r = new ActiveStandby(client, NS, "restart-leader", "pod-r", timing, role).onTakeover(takeovers::add)
                .start()) {
            eventually("the new process active", r::isActive);
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos());
            var lease = client.leases().inNamespace(NS).withName("restart-leader").get();
            assertTrue(lease.getSpec().getAcquireTime().isAfter(before.plusSeconds(4)),
                    "a new acquireTime, so the other replica's holder check sees a live holder: " + lease.getSpec());
            assertEquals(4, lease.getSpec().getLeaseTransitions());
            assertEquals("pod-r", takeovers.getFirst().from());
        }
        var released = client.leases().inNamespace(NS).withName("restart-leader").get();
        assertEquals("", released.getSpec().getHolderIdentity() == null ? "" : released.getSpec().getHolderIdentity(),
                "closing releases");
        assertEquals("pod-r", released.getMetadata().getAnnotations().get(ActiveStandby.RELEASED_BY_ANNOTATION));
    }
}
