package dev.strait.gateway.ike.sa;

import static dev.strait.gateway.ike.sa.EngineLoopbackTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.gateway.ike.sa.MemoryEngines.Side;
import dev.strait.gateway.testing.PskTunnels;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Childless initiation (RFC 6023) between two engines on a {@link MemoryNetwork}: with
 * {@code ike.childless} Prefer or Force our IKE_AUTH request carries no SA/TS, and the Child SA comes with
 * CREATE_CHILD_SA (counted as an additional Child SA); with Never it rides in IKE_AUTH as before.
 */
class ChildlessInitiationLoopbackTest {
    private static final String PSK = "childless-loopback-psk-0123456789";
    private static final String A_IP = "127.0.8.1";
    private static final String B_IP = "127.0.8.2";
    @RegisterExtension
    final MemoryEngines engines = new MemoryEngines();

    @ParameterizedTest
    @EnumSource(TunnelSpec.Childless.class)
    void theChildSaComesWithIkeAuthOnlyWhenChildlessIsNever(TunnelSpec.Childless childless) throws Exception {
        TunnelConfig initiator = PskTunnels.tunnel("t", B_IP, "a.test", "b.test", "10.10.0.0/24", "10.20.0.0/24",
                "aes256gcm16-prfsha384-x25519", "aes256gcm16", TunnelSpec.Initiation.Start, PSK);
        initiator.ike.childless = childless;
        TunnelConfig responder = PskTunnels.tunnel("t", A_IP, "b.test", "a.test", "10.20.0.0/24", "10.10.0.0/24",
                "aes256gcm16-prfsha384-x25519", "aes256gcm16", TunnelSpec.Initiation.Passive, PSK);
        Side a = engines.start(A_IP);
        Side b = engines.start(B_IP);
        b.engine.apply(List.of(TunnelDefinition.from(responder)));
        a.engine.apply(List.of(TunnelDefinition.from(initiator)));

        // Our engine announces CHILDLESS_IKEV2_SUPPORTED as responder, so Prefer goes childless as Force does.
        int byCreateChildSa = childless == TunnelSpec.Childless.Never ? 0 : 1;
        await(() -> a.datapath.installed.size() == 1 && b.datapath.installed.size() == 1,
                "one Child SA on both sides, failures " + a.failures + " / " + b.failures);
        await(() -> "Established".equals(a.engine.snapshot().getFirst().phase())
                && "Established".equals(b.engine.snapshot().getFirst().phase()), "both sides Established");
        // the metric is counted just after the install, on the SA's executor
        await(() -> a.additionalChildren("created") >= byCreateChildSa, "the creation counted");
        assertEquals(byCreateChildSa, a.additionalChildren("created"), "Child SAs created with CREATE_CHILD_SA");
        assertEquals(0, a.additionalChildren("refused"));
        assertNull(a.engine.snapshot().getFirst().lastError());
        assertEquals(a.datapath.installed.keySet().iterator().next(),
                b.datapath.installed.values().iterator().next().outboundSpi(), "the SAs mirror each other");
    }
}
