package dev.strait.e2e;

import static dev.strait.e2e.support.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.IkeSa;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import dev.strait.e2e.support.SwanctlConf.StartAction;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * IKE fragmentation (RFC 7383) with strongSwan over a 576-byte transit MTU: an IKE_AUTH with 40 traffic selectors
 * does not fit one datagram, so it must travel as SKF fragments, and the tunnel must come up and carry traffic.
 */
@Timeout(90)
class LifecycleFragmentationIT extends OnTwoSites {
    private static final String PSK = "lifecycle-fragmentation-psk-not-secret";
    private static final String IKE = "aes256gcm16-prfsha384-ecp384";
    private static final int MTU = 576;

    @AfterEach
    void stopAll() {
        SITES.stopAll();
        transitMtu(1500);
    }

    /** Sets the MTU of both transit interfaces (found by their addresses). */
    private void transitMtu(int mtu) {
        for (String[] side : List.of(new String[] {s.nsA(), s.transitA()}, new String[] {s.nsB(), s.transitB()})) {
            assertEquals(0, s.exec(side[0], "sh", "-c", "ip link set dev \"$(ip -o addr show to " + side[1]
                    + " | awk '{print $2}')\" mtu " + mtu).exitCode());
        }
    }

    private static List<String> extra(String prefix) {
        return IntStream.range(1, 40).mapToObj(i -> prefix + i + ".0/24").toList();
    }

    @Test
    void largeIkeAuthCrossesA576BytePathInFragments() throws Exception {
        transitMtu(MTU);
        List<String> localA = new ArrayList<>(List.of(s.lanSubnetA()));
        localA.addAll(extra("10.111."));
        // strongSwan installs a route per selector pair and needs a local address in its own selectors, so only our
        // side gets the many extra subnets; they still make our IKE_AUTH request far larger than one datagram.
        List<String> localB = List.of(s.lanSubnetB());
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(SwanctlConf.builder().name("site-b").role(Role.RESPONDER)
                .startAction(StartAction.NONE).local(s.transitB(), "site-b.test").remote(null, "site-a.test")
                .psk(PSK).ikeProposals(IKE).espProposals("aes256gcm16").fragmentation("yes")
                .localTs(localB.toArray(String[]::new)).remoteTs(localA.toArray(String[]::new)).build());
        GatewayConfig c = GatewayConfigs.userspaceSiteAToB(s, PSK, IKE, TunnelSpec.Initiation.Start);
        c.datapath.pathMtu = MTU;
        c.datapath.mtu = 576; // the datapath derives no TUN MTU >= 576 from so small a path; pings are small anyway
        c.tunnels.getFirst().local.subnets = localA;
        c.tunnels.getFirst().remote.subnets = localB;
        GatewayProcess gw = gatewayA(c);

        IkeSa sa = await(() -> swan.listSas().stream().filter(IkeSa::established).findFirst().orElse(null), "IKE SA up");
        IkeSa withChild = await(() -> swan.listSas().stream().filter(x -> !x.children().isEmpty()).findFirst().orElse(null),
                "Child SA up");
        assertEquals(40, withChild.child("lan-lan").remoteTs().size(), "every selector made it through");
        await(() -> s.ping(s.nsA(), s.lanA(), s.lanB(), 1) == 1 ? true : null, "traffic through the tunnel");
        String log = Files.readString(swan.logFile());
        assertTrue(log.contains("received fragment #1"), "strongSwan received our fragments");
        assertTrue(log.contains("reassembled fragmented IKE message"), "and reassembled them");
        String metrics = gw.metrics();
        assertTrue(metrics.contains("strait_ike_fragments_total{direction=\"sent\""), metrics);
        assertTrue(!metrics.contains("strait_ike_fragments_total{direction=\"sent\",gateway=\"standalone\"} 0.0"), metrics);
    }
}
