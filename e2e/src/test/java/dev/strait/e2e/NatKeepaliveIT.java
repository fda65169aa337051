package dev.strait.e2e;

import static dev.strait.e2e.support.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.e2e.support.ExecResult;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Our gateway behind a NAT (MASQUERADE with random ports in its own namespace, for an address of its own) whose UDP
 * mappings expire after 30 s idle, and a strongSwan peer that sends nothing by itself (no DPD, no keepalives of its
 * own: it is not behind a NAT). On an idle tunnel we send NAT keepalives every 20 s (RFC 3948 section 4), so after a
 * minute of idle time the peer can still reach us: its ping goes through.
 */
@Timeout(150)
class NatKeepaliveIT extends OnTwoSites {
    private static final String PSK = "nat-keepalive-psk-not-secret";
    /** Our address behind the NAT; the NAT maps it to site A's transit address. */
    private static final String INSIDE = "192.168.77.1";
    private static final int CONNTRACK_UDP_TIMEOUT = 30;
    private static final int IDLE_SECONDS = 65;

    @AfterEach
    void removeNat() {
        s.exec(s.nsA(), "iptables", "-t", "nat", "-F", "POSTROUTING");
        s.exec(s.nsA(), "ip", "addr", "del", INSIDE + "/32", "dev", "lo");
    }

    @Test
    void keepalivesEvery20sKeepAnIdleNatMappingAlive() throws Exception {
        s.exec(s.nsA(), "ip", "addr", "add", INSIDE + "/32", "dev", "lo").orThrow();
        s.exec(s.nsA(), "iptables", "-t", "nat", "-A", "POSTROUTING", "-p", "udp", "-s", INSIDE, "-j", "MASQUERADE",
                "--random-fully").orThrow();
        s.exec(s.nsA(), "sysctl", "-qw", "net.netfilter.nf_conntrack_udp_timeout=" + CONNTRACK_UDP_TIMEOUT,
                "net.netfilter.nf_conntrack_udp_timeout_stream=" + CONNTRACK_UDP_TIMEOUT).orThrow();

        SITES.strongSwan(s.nsB()).start(SwanctlConf.siteB(s, Role.RESPONDER).psk(PSK).encap(false).build());
        GatewayConfig c = GatewayConfigs.siteAToB(s, "to-b", PSK);
        c.listen.address = INSIDE; // IKE and ESP leave from behind the NAT; the admin API stays on the transit address
        c.datapath.mode = "Userspace";
        TunnelConfig t = c.tunnels.getFirst();
        t.initiation = TunnelSpec.Initiation.Start;
        t.ike.dpd.interval = "0s"; // nothing but keepalives may refresh the mapping
        GatewayProcess gw = gatewayA(c);
        await(() -> "Established".equals(gw.status().path("tunnels").path(0).path("phase").asText()) ? true : null, "Established");
        assertTrue(gw.status().path("tunnels").path(0).path("ike").path("natDetected").asBoolean(), "NAT detected");
        await(() -> s.ping(s.nsB(), s.lanB(), s.lanA(), 1) == 1 ? true : null, "traffic through the NAT");

        // Idle: our keepalives as they leave the NAT (UDP length 9: one 0xFF byte), seen at strongSwan's side.
        ExecResult capture = s.exec(s.nsB(), Duration.ofSeconds(IDLE_SECONDS + 20), "timeout", Integer.toString(IDLE_SECONDS),
                "tcpdump", "-i", "any", "-n", "-tt", "-l", "udp and src host " + s.transitA() + " and udp[4:2] = 9 and udp[8] = 0xff");
        List<Double> times = new ArrayList<>();
        for (String line : capture.stdout().split("\n")) {
            if (line.matches("^\\d+\\.\\d+ .*")) {
                times.add(Double.parseDouble(line.substring(0, line.indexOf(' '))));
            }
        }
        List<Double> gaps = new ArrayList<>();
        for (int i = 1; i < times.size(); i++) {
            gaps.add(times.get(i) - times.get(i - 1));
        }
        System.out.printf("[NatKeepaliveIT] %d keepalives in %d s idle, gaps %s%n", times.size(), IDLE_SECONDS, gaps);
        assertTrue(times.size() >= 3 && times.size() <= 4, "a keepalive every 20 s: " + capture.stdout() + capture.stderr());
        assertTrue(gaps.stream().allMatch(g -> g > 18 && g < 22), "every 20 s: " + gaps);

        // After twice the NAT's UDP timeout without traffic, the peer still reaches us through the mapping.
        assertEquals(3, s.ping(s.nsB(), s.lanB(), s.lanA(), 3), "the peer's traffic still arrives after " + IDLE_SECONDS + " s idle");
    }
}
