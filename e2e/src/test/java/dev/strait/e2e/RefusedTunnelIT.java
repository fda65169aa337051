package dev.strait.e2e;

import static dev.strait.e2e.support.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A strongSwan peer that refuses our traffic selectors in IKE_AUTH (TS_UNACCEPTABLE) after the IKE SA is up: we
 * reconnect with back-off (1 s, 2 s, 4 s, then the 8 s cap, counted on the wire as our IKE_SA_INIT requests), and
 * the tunnel shows Failed with the peer's notify as the reason.
 */
@Timeout(120)
class RefusedTunnelIT extends OnTwoSites {
    private static final String PSK = "refused-tunnel-psk-not-secret";
    private static final int WINDOW_SECONDS = 40;

    @Test
    void refusedTrafficSelectorsBackOffAndFail() throws Exception {
        SITES.strongSwan(s.nsB()).start(SwanctlConf.siteB(s, Role.RESPONDER).psk(PSK).remoteTs("10.99.0.0/24").build());
        // Our IKE_SA_INIT requests: UDP to 500, exchange type 34 (byte 18 of the IKE header), flag R clear.
        CompletableFuture<ExecResult> capture = CompletableFuture.supplyAsync(() -> s.exec(s.nsA(),
                Duration.ofSeconds(WINDOW_SECONDS + 20), "timeout", Integer.toString(WINDOW_SECONDS), "tcpdump", "-i", "any",
                "-n", "-tt", "-l", "udp dst port 500 and udp[26] = 34 and (udp[27] & 0x20) = 0"));
        await(() -> s.exec(s.nsA(), "pgrep", "-f", "udp\\[26\\] = 34").exitCode() == 0 ? true : null, "tcpdump running");
        Thread.sleep(500); // the capture opens its socket after the process starts
        GatewayConfig c = GatewayConfigs.siteAToB(s, "to-b", PSK);
        c.datapath.mode = "Userspace";
        TunnelConfig t = c.tunnels.getFirst();
        t.initiation = TunnelSpec.Initiation.Start;
        GatewayProcess gw = gatewayA(c);

        JsonNode failed = await(() -> {
            JsonNode st = gw.status().path("tunnels").path(0);
            return "Failed".equals(st.path("phase").asText()) ? st : null;
        }, Duration.ofSeconds(WINDOW_SECONDS), "tunnel Failed");
        assertEquals("ts_unacceptable", failed.path("lastErrorReason").asText(), failed.toString());
        assertTrue(failed.path("lastError").asText().contains("TS_UNACCEPTABLE"), failed.toString());

        List<Double> times = new ArrayList<>();
        for (String line : capture.get().stdout().split("\n")) {
            if (line.matches("^\\d+\\.\\d+ .*")) {
                times.add(Double.parseDouble(line.substring(0, line.indexOf(' '))));
            }
        }
        List<Double> gaps = new ArrayList<>();
        for (int i = 1; i < times.size(); i++) {
            gaps.add(times.get(i) - times.get(i - 1));
        }
        double perMinute = times.size() < 2 ? 0 : (times.size() - 1) * 60 / (times.getLast() - times.getFirst());
        System.out.printf("[RefusedTunnelIT] %d attempts in %d s (%.1f per minute), gaps %s%n", times.size(), WINDOW_SECONDS,
                perMinute, gaps);
        // Without back-off this was one attempt per second (40 here); with it: about 0, 1, 3, 7, 15, 23, 31, 39 s.
        assertTrue(times.size() >= 5 && times.size() <= 9, "attempts in " + WINDOW_SECONDS + " s: " + times);
        // The first gaps grow (1, 2, 4, 8 s, each jittered by +-20 %, plus the exchange's own time, which a loaded
        // machine stretches): each longer than the one before, the fourth over three times the first.
        for (int i = 1; i < 4; i++) {
            assertTrue(gaps.get(i) > gaps.get(i - 1), "gap " + i + " grows: " + gaps);
        }
        assertTrue(gaps.get(3) > 3 * gaps.get(0), "the back-off doubles: " + gaps);
        assertTrue(gaps.stream().allMatch(g -> g > 0.7 && g < 10), "gaps between 0.8 s and the 8 s cap: " + gaps);
        // Failed stays while the retries go on (each retry's IKE SA is up for a moment before the refusal: polled).
        await(() -> "Failed".equals(gw.status().path("tunnels").path(0).path("phase").asText()) ? true : null, "still Failed");
    }
}
