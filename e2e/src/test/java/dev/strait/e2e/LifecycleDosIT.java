package dev.strait.e2e;

import static dev.strait.e2e.support.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.IkeFlood;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An IKE_SA_INIT flood (2000 packets/s for 10 s from four addresses, bounded in count and time) against our responder,
 * which also serves a tunnel open to any address, so the flood does create half-open SAs until cookies take over:
 * a legitimate strongSwan initiator must still get its tunnel up and passing traffic, and half-open state stays bounded.
 */
@Timeout(120)
class LifecycleDosIT extends OnTwoSites {
    private static final String PSK = "lifecycle-dos-psk-not-secret";
    private static final String IKE = "aes256gcm16-prfsha384-ecp384";
    private static final List<String> FLOOD_SOURCES = List.of("198.19.77.1", "198.19.77.2", "198.19.77.3", "198.19.77.4");
    private static final Pattern HALF_OPEN = Pattern.compile("strait_ike_half_open_sas\\{[^}]*\\} ([0-9.]+)");
    private static final Pattern COOKIES = Pattern.compile("strait_ike_cookies_sent_total\\{[^}]*\\} ([0-9.]+)");

    @AfterEach
    void cleanUp() {
        SITES.stopAll();
        for (String a : FLOOD_SOURCES) {
            s.exec(s.nsB(), "sh", "-c", "ip addr del " + a + "/32 dev \"$(ip -o addr show to " + s.transitB() + " | awk '{print $2}')\"");
        }
        s.exec(s.nsA(), "ip", "route", "del", "198.19.77.0/24");
    }

    private static double metric(String metrics, Pattern p) {
        Matcher m = p.matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    @Test
    void aFloodDoesNotKeepALegitimateTunnelDown() throws Exception {
        String dev = "\"$(ip -o addr show to " + s.transitB() + " | awk '{print $2}')\"";
        for (String a : FLOOD_SOURCES) {
            assertEquals(0, s.exec(s.nsB(), "sh", "-c", "ip addr add " + a + "/32 dev " + dev).exitCode());
        }
        assertEquals(0, s.exec(s.nsA(), "ip", "route", "add", "198.19.77.0/24", "via", s.transitB()).exitCode());

        GatewayConfig c = GatewayConfigs.userspaceSiteAToB(s, PSK, IKE, TunnelSpec.Initiation.Passive);
        c.tunnels.add(GatewayConfigs.openTunnel(s, IKE));
        GatewayProcess gw = gatewayA(c);
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(SwanctlConf.siteB(s, Role.INITIATOR).psk(PSK).ikeProposals(IKE)
                .espProposals("aes256gcm16").build());

        // A blind spoofer: IKE_SA_INITs round-robin from the flood sources, answers ignored.
        CompletableFuture<IkeFlood.Result> flood = CompletableFuture.supplyAsync(() -> IkeFlood.run(s, s.nsB(), "init",
                IkeFlood.template(IKE), s.transitA(), FLOOD_SOURCES, 20_000, 2000, 10));
        Thread.sleep(3000); // well into the flood
        String during = gw.metrics();
        long started = System.nanoTime();
        assertEquals(0, swan.initiate("lan-lan", Duration.ofSeconds(20)).exitCode(), "strongSwan's initiate succeeds during the flood");
        double setup = (System.nanoTime() - started) / 1e9;
        await(() -> s.ping(s.nsA(), s.lanA(), s.lanB(), 1) == 1 ? true : null, "traffic through the tunnel");
        IkeFlood.Result f = flood.get();
        long sent = f.sent();
        double secs = f.seconds();
        assertTrue(sent >= 18_000 && f.rate() >= 1800, "the generator kept ~2000/s: " + f);
        String after = gw.metrics();
        double halfOpen = metric(during, HALF_OPEN);
        assertTrue(halfOpen >= 0 && halfOpen <= 32 + 1, "half-open SAs bounded by the cookie threshold, got " + halfOpen);
        // Beyond the first 32 half-open SAs every flood packet that reaches the daemon is answered with a cookie and
        // nothing else (the kernel may drop some under load, hence half, not all).
        assertTrue(metric(after, COOKIES) > sent / 2.0, "cookies for the flood beyond the threshold: " + metric(after, COOKIES)
                + " of " + sent);
        // Whether strongSwan's own IKE_SA_INIT needed a cookie round trip depends on when it arrived in the flood
        // (below the threshold it is answered directly), so its log is not asserted on.
        assertTrue(gw.isAlive());
        System.out.printf("flood: %d IKE_SA_INIT in %.1f s; legitimate tunnel set up in %.2f s; cookies %.0f; half-open %.0f%n",
                sent, secs, setup, metric(after, COOKIES), halfOpen);
    }
}
