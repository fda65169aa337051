package dev.strait.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.gateway.ike.sa.IkeEngine;
import dev.strait.gateway.ike.sa.MemoryEngines;
import dev.strait.gateway.ike.sa.RecordingDatapath;
import dev.strait.gateway.ike.sa.TunnelDefinition;
import dev.strait.gateway.ike.sa.TunnelSnapshot;
import dev.strait.gateway.metrics.GatewayMetrics;
import dev.strait.gateway.testing.PskTunnels;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rekey action end to end inside one JVM: two real IKE engines exchanging datagrams in memory, the admin server
 * wired to one of them as the daemon wires it. A POST must really replace the SAs on both sides.
 */
class AdminRekeyEngineTest {
    private static final String PSK = "admin-rekey-engine-psk-0123456789";

    /** Installed Child SAs by inbound SPI; enough of a datapath for the engine. */
    private final InetSocketAddress addrA = new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 1}), 500);
    private final InetSocketAddress addrB = new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 2}), 500);
    private final MemoryEngines engines = new MemoryEngines();
    private RecordingDatapath tableA;
    private RecordingDatapath tableB;
    private IkeEngine a;
    private IkeEngine b;
    private AdminServer admin;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    AdminRekeyEngineTest() throws Exception {
    }

    private static TunnelConfig tunnel(String name, InetSocketAddress peer, String localId, String peerId, String local,
                                       String remote, TunnelSpec.Initiation initiation) {
        return PskTunnels.tunnel(name, peer == null ? null : peer.getAddress().getHostAddress(), localId, peerId, local,
                remote, "aes256gcm16-prfsha384-x25519", "aes256gcm16-x25519", initiation, PSK);
    }

    @BeforeEach
    void up() throws Exception {
        MemoryEngines.Side sideA = engines.start(addrA.getAddress().getHostAddress());
        MemoryEngines.Side sideB = engines.start(addrB.getAddress().getHostAddress());
        a = sideA.engine;
        b = sideB.engine;
        tableA = sideA.datapath;
        tableB = sideB.datapath;
        b.apply(List.of(TunnelDefinition.from(tunnel("t", addrA, "b.test", "a.test", "10.2.0.0/24", "10.1.0.0/24",
                TunnelSpec.Initiation.Passive))));
        a.apply(List.of(
                TunnelDefinition.from(tunnel("t", addrB, "a.test", "b.test", "10.1.0.0/24", "10.2.0.0/24", TunnelSpec.Initiation.Start)),
                TunnelDefinition.from(tunnel("idle", null, "a.test", "c.test", "10.1.0.0/24", "10.3.0.0/24",
                        TunnelSpec.Initiation.Passive))));
        admin = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), () -> true, Map::of,
                new GatewayMetrics("gw-test"), (tunnel, target) -> a.rekey(tunnel, target, Duration.ofSeconds(2)));
        settled("established", () -> true);
    }

    @AfterEach
    void down() {
        if (admin != null) {
            admin.close();
        }
        engines.close();
    }

    private int post(String pathAndQuery) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.address().getPort() + pathAndQuery))
                .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.noBody()).build();
        return http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static TunnelSnapshot t(IkeEngine e) {
        return e.snapshot().stream().filter(s -> s.name().equals("t")).findFirst().orElseThrow();
    }

    /** One Child SA per side, the two agreeing on SPIs and on the IKE SA, old SAs gone from both datapaths. */
    private TunnelSnapshot settled(String what, Supplier<Boolean> changed) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            TunnelSnapshot sa = t(a);
            TunnelSnapshot sb = t(b);
            if (sa.ike() != null && sb.ike() != null && sa.children().size() == 1 && sb.children().size() == 1
                    && "ESTABLISHED".equals(sa.ike().state()) && "ESTABLISHED".equals(sb.ike().state())
                    && sa.ike().spiInitiator().equals(sb.ike().spiInitiator())
                    && sa.ike().spiResponder().equals(sb.ike().spiResponder())
                    && sa.children().getFirst().spiIn().equals(sb.children().getFirst().spiOut())
                    && sa.children().getFirst().spiOut().equals(sb.children().getFirst().spiIn())
                    && tableA.installed.size() == 1 && tableB.installed.size() == 1 && changed.get()) {
                return sa;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("not settled (" + what + "): A=" + t(a) + " B=" + t(b) + " tables " + tableA.installed
                + " / " + tableB.installed);
    }

    @Test
    void childRekeyThroughTheAdminServerReplacesTheChildSaOnBothSides() throws Exception {
        TunnelSnapshot before = t(a);
        String oldSpi = before.children().getFirst().spiIn();
        assertEquals(202, post("/tunnels/t/rekey?sa=child"));
        TunnelSnapshot after = settled("child rekeyed", () -> !t(a).children().getFirst().spiIn().equals(oldSpi));
        assertEquals(before.ike().spiInitiator(), after.ike().spiInitiator(), "a Child rekey keeps the IKE SA");
    }

    @Test
    void ikeRekeyThroughTheAdminServerReplacesTheIkeSaOnBothSides() throws Exception {
        TunnelSnapshot before = t(a);
        assertEquals(202, post("/tunnels/t/rekey?sa=ike"));
        TunnelSnapshot after = settled("IKE rekeyed", () -> !t(a).ike().spiInitiator().equals(before.ike().spiInitiator()));
        assertNotEquals(before.ike().spiResponder(), after.ike().spiResponder());
        assertEquals(before.children().getFirst().spiIn(), after.children().getFirst().spiIn(), "the Child SA moved along");
        // the successor works: a Child rekey over it
        assertEquals(202, post("/tunnels/t/rekey?sa=child"));
        settled("child rekeyed on the new IKE SA", () -> !t(a).children().getFirst().spiIn().equals(after.children().getFirst().spiIn()));
    }

    @Test
    void tunnelsWithoutAnSaAre409AndUnknownOnes404() throws Exception {
        assertEquals(409, post("/tunnels/idle/rekey?sa=child"));
        assertEquals(409, post("/tunnels/idle/rekey?sa=ike"));
        assertEquals(404, post("/tunnels/nope/rekey?sa=ike"));
        assertEquals(IkeEngine.RekeyOutcome.UNKNOWN_TUNNEL, b.rekey("nope", IkeEngine.RekeyTarget.CHILD, Duration.ofSeconds(1)));
    }

    @Test
    void bothSidesAskingAtOnceStillSettleOnOneSaEach() throws Exception {
        for (IkeEngine.RekeyTarget target : IkeEngine.RekeyTarget.values()) {
            TunnelSnapshot before = t(a);
            Thread other = Thread.ofVirtual().start(() -> b.rekey("t", target, Duration.ofSeconds(2)));
            assertEquals(202, post("/tunnels/t/rekey?sa=" + target.name().toLowerCase(java.util.Locale.ROOT)));
            other.join();
            assertTrue(settled(target + " rekeyed by both", () -> target == IkeEngine.RekeyTarget.IKE
                    ? !t(a).ike().spiInitiator().equals(before.ike().spiInitiator())
                    : !t(a).children().getFirst().spiIn().equals(before.children().getFirst().spiIn())) != null);
        }
    }
}
