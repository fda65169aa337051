package dev.strait.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class GatewayMetricsTest {
    private static final Pattern TYPE = Pattern.compile("^# TYPE (\\S+) (\\S+)$", Pattern.MULTILINE);
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC);

    private static Map<String, String> types(String scrape) {
        Map<String, String> types = new TreeMap<>();
        Matcher m = TYPE.matcher(scrape);
        while (m.find()) {
            types.put(m.group(1), m.group(2));
        }
        return types;
    }

    /** The value of the one sample line that starts with {@code series} (name and labels as printed). */
    private static double sample(String scrape, String series) {
        return scrape.lines().filter(l -> l.startsWith(series + " "))
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).split(" ")[0]))
                .reduce((a, b) -> {
                    throw new AssertionError("more than one sample for " + series);
                })
                .orElseThrow(() -> new AssertionError("no sample " + series + " in\n" + scrape));
    }

    private static GatewayMetrics exercised() {
        GatewayMetrics m = new GatewayMetrics("gw1", CLOCK);
        AtomicInteger halfOpen = new AtomicInteger(3);
        m.halfOpenSas(halfOpen::get);
        m.registerTunnel("t1");
        m.ikeSaEstablished("t1");
        m.handshakeDuration("t1", Duration.ofMillis(40));
        m.ikeRekey("t1");
        m.childRekey("t1");
        m.childRekey("t1");
        m.retransmit("t1");
        m.authFailure("t1", "psk_mismatch");
        m.dpdTimeout("t1");
        m.rekeyCollision("t1", "child");
        m.rekeyCollision("t1", "child");
        m.rekeyCollision("t1", "ike");
        m.reconnect("t1");
        m.tunnelUp("t1", true);
        m.roundTrip("t1", Duration.ofMillis(3));
        m.roundTrip("t1", Duration.ofMillis(7)); // the gauge shows the last sample
        m.cookieSent();
        m.fragment("sent");
        m.fragment("received");
        return m;
    }

    @Test
    void scrapeHasExactlyTheDocumentedNamesAndTypes() {
        Map<String, String> expected = new TreeMap<>(Map.ofEntries(
                Map.entry("strait_tunnel_up", "gauge"),
                Map.entry("strait_tunnel_established_timestamp_seconds", "gauge"),
                Map.entry("strait_tunnel_rtt_seconds", "gauge"),
                Map.entry("strait_ike_sa_established_total", "counter"),
                Map.entry("strait_ike_handshake_duration_seconds", "histogram"),
                Map.entry("strait_ike_sa_rekeys_total", "counter"),
                Map.entry("strait_child_sa_rekeys_total", "counter"),
                Map.entry("strait_ike_retransmits_total", "counter"),
                Map.entry("strait_ike_auth_failures_total", "counter"),
                Map.entry("strait_dpd_timeouts_total", "counter"),
                Map.entry("strait_rekey_collisions_total", "counter"),
                Map.entry("strait_tunnel_reconnects_total", "counter"),
                Map.entry("strait_ike_half_open_sas", "gauge"),
                Map.entry("strait_ike_cookies_sent_total", "counter"),
                Map.entry("strait_ike_fragments_total", "counter"),
                Map.entry("strait_ike_dropped_total", "counter"),
                Map.entry("strait_ike_rejected_total", "counter"),
                Map.entry("strait_gateway_active", "gauge"),
                Map.entry("strait_gateway_failovers_total", "counter"),
                Map.entry("strait_gateway_last_failover_seconds", "gauge")));
        assertEquals(expected, types(exercised().scrape()));
    }

    @Test
    void failoversAndTheActiveRoleAreServedFromTheStart() {
        GatewayMetrics m = new GatewayMetrics("gw1", CLOCK);
        String s = m.scrape();
        assertEquals(0, sample(s, "strait_gateway_active{gateway=\"gw1\"}"));
        assertEquals(0, sample(s, "strait_gateway_failovers_total{gateway=\"gw1\"}"));
        assertTrue(Double.isNaN(sample(s, "strait_gateway_last_failover_seconds{gateway=\"gw1\"}")), "none yet");
        m.active(true);
        m.failover();
        m.failoverDuration(Duration.ofMillis(2_300));
        s = m.scrape();
        assertEquals(1, sample(s, "strait_gateway_active{gateway=\"gw1\"}"));
        assertEquals(1, sample(s, "strait_gateway_failovers_total{gateway=\"gw1\"}"));
        assertEquals(2.3, sample(s, "strait_gateway_last_failover_seconds{gateway=\"gw1\"}"), 1e-9);
    }

    @Test
    void everyDropAndRejectionReasonIsServedFromZero() {
        GatewayMetrics m = new GatewayMetrics("gw1");
        m.dropped(dev.strait.gateway.ike.sa.IkeDrop.MALFORMED);
        m.dropped(dev.strait.gateway.ike.sa.IkeDrop.MALFORMED);
        m.rejected(dev.strait.gateway.ike.sa.IkeRejection.NO_PROPOSAL);
        String s = m.scrape();
        assertEquals(2, sample(s, "strait_ike_dropped_total{gateway=\"gw1\",reason=\"malformed\"}"));
        assertEquals(0, sample(s, "strait_ike_dropped_total{gateway=\"gw1\",reason=\"queue_full\"}"));
        assertEquals(1, sample(s, "strait_ike_rejected_total{gateway=\"gw1\",reason=\"no_proposal\"}"));
        assertEquals(0, sample(s, "strait_ike_rejected_total{gateway=\"gw1\",reason=\"id_mismatch\"}"));
    }

    @Test
    void samplesCarryGatewayAndTunnelLabelsAndCounts() {
        String s = exercised().scrape();
        assertEquals(1, sample(s, "strait_ike_sa_established_total{gateway=\"gw1\",tunnel=\"t1\"}"));
        assertEquals(2, sample(s, "strait_child_sa_rekeys_total{gateway=\"gw1\",tunnel=\"t1\"}"));
        assertEquals(1, sample(s, "strait_ike_sa_rekeys_total{gateway=\"gw1\",tunnel=\"t1\"}"));
        assertEquals(1, sample(s, "strait_ike_retransmits_total{gateway=\"gw1\",tunnel=\"t1\"}"));
        assertEquals(1, sample(s, "strait_dpd_timeouts_total{gateway=\"gw1\",tunnel=\"t1\"}"));
        assertEquals(2, sample(s, "strait_rekey_collisions_total{gateway=\"gw1\",kind=\"child\",tunnel=\"t1\"}"));
        assertEquals(1, sample(s, "strait_rekey_collisions_total{gateway=\"gw1\",kind=\"ike\",tunnel=\"t1\"}"));
        assertEquals(1, sample(s, "strait_tunnel_reconnects_total{gateway=\"gw1\",tunnel=\"t1\"}"));
        assertEquals(1, sample(s, "strait_ike_auth_failures_total{gateway=\"gw1\",reason=\"psk_mismatch\",tunnel=\"t1\"}"));
        assertEquals(1, sample(s, "strait_tunnel_up{gateway=\"gw1\",tunnel=\"t1\"}"));
        assertEquals(1_700_000_000, sample(s, "strait_tunnel_established_timestamp_seconds{gateway=\"gw1\",tunnel=\"t1\"}"));
        assertEquals(0.007, sample(s, "strait_tunnel_rtt_seconds{gateway=\"gw1\",tunnel=\"t1\"}"), 1e-12);
        assertEquals(3, sample(s, "strait_ike_half_open_sas{gateway=\"gw1\"}"));
        assertEquals(1, sample(s, "strait_ike_cookies_sent_total{gateway=\"gw1\"}"));
        assertEquals(1, sample(s, "strait_ike_fragments_total{direction=\"sent\",gateway=\"gw1\"}"));
        // 40 ms lands in the 0.05 bucket and above, not in 0.025
        assertEquals(0, sample(s, "strait_ike_handshake_duration_seconds_bucket{gateway=\"gw1\",tunnel=\"t1\",le=\"0.025\"}"));
        assertEquals(1, sample(s, "strait_ike_handshake_duration_seconds_bucket{gateway=\"gw1\",tunnel=\"t1\",le=\"0.05\"}"));
        assertEquals(1, sample(s, "strait_ike_handshake_duration_seconds_bucket{gateway=\"gw1\",tunnel=\"t1\",le=\"+Inf\"}"));
        assertEquals(1, sample(s, "strait_ike_handshake_duration_seconds_count{gateway=\"gw1\",tunnel=\"t1\"}"));
        assertEquals(0.04, sample(s, "strait_ike_handshake_duration_seconds_sum{gateway=\"gw1\",tunnel=\"t1\"}"), 1e-9);
    }

    @Test
    void registeredTunnelStartsAtZeroAndDown() {
        GatewayMetrics m = new GatewayMetrics("gw1", CLOCK);
        m.registerTunnel("t2");
        String s = m.scrape();
        assertEquals(0, sample(s, "strait_ike_sa_established_total{gateway=\"gw1\",tunnel=\"t2\"}"));
        assertEquals(0, sample(s, "strait_tunnel_up{gateway=\"gw1\",tunnel=\"t2\"}"));
        assertEquals(0, sample(s, "strait_tunnel_established_timestamp_seconds{gateway=\"gw1\",tunnel=\"t2\"}"));
        assertTrue(Double.isNaN(sample(s, "strait_tunnel_rtt_seconds{gateway=\"gw1\",tunnel=\"t2\"}")), "no round trip yet");
    }

    @Test
    void tunnelDownKeepsLastEstablishedTimeAndUpAgainRestampsIt() {
        MutableClock clock = new MutableClock(1000);
        GatewayMetrics m = new GatewayMetrics("gw1", clock);
        m.tunnelUp("t1", true);
        clock.seconds = 2000;
        m.tunnelUp("t1", true); // still up: an SA rekey does not move the timestamp
        m.tunnelUp("t1", false);
        String s = m.scrape();
        assertEquals(0, sample(s, "strait_tunnel_up{gateway=\"gw1\",tunnel=\"t1\"}"));
        assertEquals(1000, sample(s, "strait_tunnel_established_timestamp_seconds{gateway=\"gw1\",tunnel=\"t1\"}"));
        clock.seconds = 3000;
        m.tunnelUp("t1", true);
        assertEquals(3000, sample(m.scrape(), "strait_tunnel_established_timestamp_seconds{gateway=\"gw1\",tunnel=\"t1\"}"));
    }

    @Test
    void removedTunnelLeavesNoSeries() {
        GatewayMetrics m = exercised();
        m.registerTunnel("t2");
        m.removeTunnel("t1");
        String s = m.scrape();
        assertFalse(s.contains("tunnel=\"t1\""), s);
        assertTrue(s.contains("tunnel=\"t2\""), s);
    }

    @Test
    void halfOpenGaugeFollowsTheSupplier() {
        GatewayMetrics m = new GatewayMetrics("gw1", CLOCK);
        AtomicInteger n = new AtomicInteger();
        m.halfOpenSas(n::get);
        assertEquals(0, sample(m.scrape(), "strait_ike_half_open_sas{gateway=\"gw1\"}"));
        n.set(17);
        assertEquals(17, sample(m.scrape(), "strait_ike_half_open_sas{gateway=\"gw1\"}"));
    }

    private static final class MutableClock extends Clock {
        volatile long seconds;

        MutableClock(long seconds) {
            this.seconds = seconds;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochSecond(seconds);
        }
    }

    @Test
    void certificateExpiryGaugeFollowsTheTunnelsCertificate() {
        GatewayMetrics m = new GatewayMetrics("gw1", CLOCK);
        m.registerTunnel("t1");
        m.certificateExpiry("t1", null);
        assertTrue(!m.scrape().contains("strait_certificate_expiry_timestamp_seconds"), "PSK tunnels have no series");
        m.certificateExpiry("t1", java.time.Instant.ofEpochSecond(1_800_000_000L));
        assertEquals(1.8e9, sample(m.scrape(), "strait_certificate_expiry_timestamp_seconds{gateway=\"gw1\",tunnel=\"t1\"}"));
        m.certificateExpiry("t1", java.time.Instant.ofEpochSecond(1_810_000_000L)); // renewed
        assertEquals(1.81e9, sample(m.scrape(), "strait_certificate_expiry_timestamp_seconds{gateway=\"gw1\",tunnel=\"t1\"}"));
        m.certificateExpiry("t1", null);
        assertTrue(!m.scrape().contains("strait_certificate_expiry_timestamp_seconds"), "switched to PSK: series gone");
        m.certificateExpiry("t1", java.time.Instant.ofEpochSecond(1_800_000_000L));
        m.removeTunnel("t1");
        assertTrue(!m.scrape().contains("strait_certificate_expiry_timestamp_seconds"), "tunnel removed: series gone");
    }
}
