package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.sa.MemoryEngines.Side;
import static dev.strait.gateway.testing.PskTunnels.tunnel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.gateway.datapath.spi.ChildSaSpec;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two engines in one JVM on a {@link MemoryNetwork} (no sockets, no root): IKE_SA_INIT and
 * IKE_AUTH end to end, for each proposal family, and the Child SA keys must mirror each other.
 */
class EngineLoopbackTest {
    @RegisterExtension
    final MemoryEngines engines = new MemoryEngines();

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        MemoryEngines.await(condition, what);
    }

    @ParameterizedTest
    @ValueSource(strings = {"aes256gcm16-prfsha384-modp3072|aes256gcm16", "aes128gcm16-prfsha256-ecp256|aes128gcm16",
            "chacha20poly1305-prfsha256-x25519|chacha20poly1305", "aes256-sha256-ecp384|aes256-sha256"})
    void establishesAndInstallsMirroredChildSas(String proposals) throws Exception {
        String ike = proposals.split("\\|")[0];
        String esp = proposals.split("\\|")[1];
        Side a = engines.start("127.0.0.1");
        Side b = engines.start("127.0.0.2");
        String psk = "loopback-test-psk-0123456789";
        b.engine.apply(List.of(TunnelDefinition.from(tunnel("t", "127.0.0.1", "b.test", "a.test", "10.20.0.0/24",
                "10.10.0.0/24", ike, esp, TunnelSpec.Initiation.Passive, psk))));
        a.engine.apply(List.of(TunnelDefinition.from(tunnel("t", "127.0.0.2", "a.test", "b.test", "10.10.0.0/24",
                "10.20.0.0/24", ike, esp, TunnelSpec.Initiation.Start, psk))));
        await(() -> a.datapath.installed.size() == 1 && b.datapath.installed.size() == 1, "Child SAs on both sides");
        ChildSaSpec sa = a.datapath.installed.values().iterator().next();
        ChildSaSpec sb = b.datapath.installed.values().iterator().next();
        assertEquals(sa.inboundSpi(), sb.outboundSpi());
        assertEquals(sa.outboundSpi(), sb.inboundSpi());
        assertArrayEquals(sa.outboundEncKey(), sb.inboundEncKey());
        assertArrayEquals(sa.inboundEncKey(), sb.outboundEncKey());
        assertArrayEquals(sa.outboundIntegKey(), sb.inboundIntegKey());
        assertEquals("[10.10.0.0/24]", sa.localSelectors().toString());
        assertEquals("[10.20.0.0/24]", sa.remoteSelectors().toString());
        assertEquals(4500, sa.peer().getPort());
        await(() -> "Established".equals(a.engine.snapshot().getFirst().phase())
                && "Established".equals(b.engine.snapshot().getFirst().phase()), "both tunnels Established");
        var snap = a.engine.snapshot().getFirst();
        assertEquals(ike.replace("aes256-sha256-ecp384", "aes256-sha256-prfsha256-ecp384"), snap.ike().proposal());
        assertTrue(snap.ike().udpEncapsulation());
    }

    @org.junit.jupiter.api.Test
    void wrongPskFailsOnBothSidesWithAReason() throws Exception {
        Side a = engines.start("127.0.0.1");
        Side b = engines.start("127.0.0.2");
        b.engine.apply(List.of(TunnelDefinition.from(tunnel("t", "127.0.0.1", "b.test", "a.test", "10.20.0.0/24",
                "10.10.0.0/24", "aes256gcm16-prfsha384-x25519", "aes256gcm16", TunnelSpec.Initiation.Passive,
                "one-psk-0123456789abcdef"))));
        a.engine.apply(List.of(TunnelDefinition.from(tunnel("t", "127.0.0.2", "a.test", "b.test", "10.10.0.0/24",
                "10.20.0.0/24", "aes256gcm16-prfsha384-x25519", "aes256gcm16", TunnelSpec.Initiation.Start,
                "another-psk-0123456789abcdef"))));
        await(() -> "psk_mismatch".equals(b.failures.get("t")) && "peer_rejected".equals(a.failures.get("t")),
                "authentication failure on both sides, got " + a.failures + " / " + b.failures);
        assertTrue(a.datapath.installed.isEmpty());
        assertTrue(b.datapath.installed.isEmpty());
        String error = a.engine.snapshot().getFirst().lastError();
        assertTrue(error.contains("AUTHENTICATION_FAILED"), error);
        assertTrue(!error.contains("one-psk") && !error.contains("another-psk"));
    }

    @org.junit.jupiter.api.Test
    void retriesWithTheGroupTheResponderAsksFor() throws Exception {
        Side a = engines.start("127.0.0.1");
        Side b = engines.start("127.0.0.2");
        String psk = "loopback-test-psk-0123456789";
        b.engine.apply(List.of(TunnelDefinition.from(tunnel("t", "127.0.0.1", "b.test", "a.test", "10.20.0.0/24",
                "10.10.0.0/24", "aes256gcm16-prfsha384-ecp256", "aes256gcm16", TunnelSpec.Initiation.Passive, psk))));
        a.engine.apply(List.of(TunnelDefinition.from(tunnel("t", "127.0.0.2", "a.test", "b.test", "10.10.0.0/24",
                "10.20.0.0/24", "aes256gcm16-prfsha384-x25519-ecp256", "aes256gcm16", TunnelSpec.Initiation.Start, psk))));
        await(() -> a.datapath.installed.size() == 1, "Child SA after INVALID_KE_PAYLOAD");
        assertTrue(a.engine.snapshot().getFirst().ike().proposal().endsWith("ecp256"));
    }
}
