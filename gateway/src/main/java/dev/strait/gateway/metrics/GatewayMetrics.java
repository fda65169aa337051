package dev.strait.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.core.metrics.Histogram;
import java.time.Clock;
import java.time.Duration;
import dev.strait.gateway.ike.sa.EngineListener;
import dev.strait.gateway.ike.sa.FailureReason;
import dev.strait.gateway.ike.sa.IkeDrop;
import dev.strait.gateway.ike.sa.IkeRejection;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * The gateway's Prometheus metrics. Every series carries {@code gateway}; per-tunnel series add {@code tunnel}.
 * Per-tunnel counters are created at zero when a tunnel is first seen, so rate() works from the first scrape.
 * All methods are thread-safe and cheap (map lookup plus an atomic add); the IKE engine calls them directly, as
 * its {@link EngineListener}.
 */
public final class GatewayMetrics implements EngineListener {
    static final String TUNNEL_UP = "strait.tunnel.up";
    static final String ESTABLISHED_TIMESTAMP = "strait.tunnel.established.timestamp.seconds";
    static final String IKE_ESTABLISHED = "strait.ike.sa.established";
    static final String IKE_REKEYS = "strait.ike.sa.rekeys";
    static final String CHILD_REKEYS = "strait.child.sa.rekeys";
    static final String RETRANSMITS = "strait.ike.retransmits";
    static final String AUTH_FAILURES = "strait.ike.auth.failures";
    static final String DPD_TIMEOUTS = "strait.dpd.timeouts";
    static final String REKEY_COLLISIONS = "strait.rekey.collisions";
    static final String RECONNECTS = "strait.tunnel.reconnects";
    static final String HALF_OPEN = "strait.ike.half.open.sas";
    static final String COOKIES_SENT = "strait.ike.cookies.sent";
    static final String FRAGMENTS = "strait.ike.fragments";
    static final String DROPPED = "strait.ike.dropped";
    static final String REJECTED = "strait.ike.rejected";
    static final String TUNNEL_RTT = "strait.tunnel.rtt.seconds";
    static final String CERTIFICATE_EXPIRY = "strait.certificate.expiry.timestamp.seconds";
    static final String ACTIVE = "strait.gateway.active";
    static final String FAILOVERS = "strait.gateway.failovers";
    static final String LAST_FAILOVER = "strait.gateway.last.failover.seconds";
    static final String HANDSHAKE_HISTOGRAM = "strait_ike_handshake_duration_seconds";

    /** IKE_SA_INIT + IKE_AUTH on one machine take milliseconds; across continents or with retransmits, seconds. */
    private static final double[] HANDSHAKE_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private final PrometheusMeterRegistry registry;
    private final String gateway;
    private final Clock clock;
    // Micrometer's Timer would add a *_max gauge; a plain Prometheus histogram keeps the name set exact.
    private final Histogram handshakes;
    private final Map<String, TunnelMeters> tunnels = new ConcurrentHashMap<>();
    private final Map<String, Counter> authFailures = new ConcurrentHashMap<>();
    private final Counter cookiesSent;
    private final Counter fragmentsSent;
    private final Counter fragmentsReceived;
    private final Map<IkeDrop, Counter> dropped = new EnumMap<>(IkeDrop.class);
    private final Map<IkeRejection, Counter> rejected = new EnumMap<>(IkeRejection.class);
    private final Counter failovers;
    private volatile double active;
    private volatile double lastFailoverSeconds = Double.NaN;

    public GatewayMetrics(String gatewayName) {
        this(gatewayName, Clock.systemUTC());
    }

    public GatewayMetrics(String gatewayName, Clock clock) {
        this.gateway = Objects.requireNonNull(gatewayName, "gatewayName");
        this.clock = clock;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("gateway", gatewayName);
        this.handshakes = Histogram.builder()
                .name(HANDSHAKE_HISTOGRAM)
                .help("Time from the first IKE_SA_INIT request to the completed IKE_AUTH exchange")
                .unit(io.prometheus.metrics.model.snapshots.Unit.SECONDS)
                .labelNames("gateway", "tunnel")
                .classicOnly()
                .withoutExemplars() // exemplars need the tracer initializer, which micrometer leaves out
                .classicUpperBounds(HANDSHAKE_BUCKETS)
                .register(registry.getPrometheusRegistry());
        this.cookiesSent = Counter.builder(COOKIES_SENT)
                .description("COOKIE notifications sent to initiators while under half-open load (RFC 7296 2.6)")
                .register(registry);
        this.failovers = Counter.builder(FAILOVERS)
                .description("Times this replica took over the tunnels from another replica or a killed process of its own")
                .register(registry);
        Gauge.builder(ACTIVE, this, m -> m.active)
                .description("1 while this replica holds the lease and carries the tunnels, else 0").register(registry);
        Gauge.builder(LAST_FAILOVER, this, m -> m.lastFailoverSeconds)
                .description("The last take-over by this replica: from the previous holder's last lease renewal to all tunnels established")
                .register(registry);
        this.fragmentsSent = fragments("sent");
        this.fragmentsReceived = fragments("received");
        for (IkeDrop r : IkeDrop.values()) {
            dropped.put(r, Counter.builder(DROPPED).tag("reason", r.label())
                    .description("IKE datagrams dropped without an answer, by reason").register(registry));
        }
        for (IkeRejection r : IkeRejection.values()) {
            rejected.put(r, Counter.builder(REJECTED).tag("reason", r.label())
                    .description("IKE requests refused before the sender authenticated, by reason").register(registry));
        }
    }

    private Counter fragments(String direction) {
        return Counter.builder(FRAGMENTS).tag("direction", direction)
                .description("IKE message fragments (RFC 7383)").register(registry);
    }

    public String gatewayName() {
        return gateway;
    }

    /**
     * The JVM's heap and GC and the process's CPU (Micrometer's binders), for the daemon only: the GC binder listens
     * for GC notifications for the rest of the JVM's life. A heap that grows with SA churn or GC pauses near the
     * liveness interval show here first.
     */
    public void bindJvmMetrics() {
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmGcMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
    }

    /** This replica carries the tunnels (holds the lease) or stands by. */
    public void active(boolean on) {
        active = on ? 1 : 0;
    }

    /** This replica took the tunnels over; the duration follows once they are established again. */
    public void failover() {
        failovers.increment();
    }

    public void failoverDuration(Duration d) {
        lastFailoverSeconds = d.toNanos() / 1e9;
    }

    /** For callers that add meters of their own (the datapath). */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Creates the tunnel's series at zero (idempotent); called when the tunnel is configured. */
    public void registerTunnel(String tunnel) {
        meters(tunnel);
    }

    /**
     * strait_certificate_expiry_timestamp_seconds{tunnel}: notAfter of the certificate this tunnel authenticates with
     * (alert on it minus time()); null removes the series (the tunnel uses a PSK).
     */
    public void certificateExpiry(String tunnel, java.time.Instant notAfter) {
        TunnelMeters m = meters(tunnel);
        m.certificateExpiryEpochSeconds = notAfter == null ? Double.NaN : notAfter.getEpochSecond();
        if (notAfter != null && m.certificateExpiry == null) {
            m.certificateExpiry = Gauge.builder(CERTIFICATE_EXPIRY, m, x -> x.certificateExpiryEpochSeconds)
                    .tags("tunnel", tunnel).description("Unix time our certificate for this tunnel expires (notAfter)")
                    .register(registry);
            m.meters.add(m.certificateExpiry);
        } else if (notAfter == null && m.certificateExpiry != null) {
            registry.remove(m.certificateExpiry);
            m.meters.remove(m.certificateExpiry);
            m.certificateExpiry = null;
        }
    }

    /** Drops every series of a tunnel that left the configuration. */
    public void removeTunnel(String tunnel) {
        TunnelMeters m = tunnels.remove(tunnel);
        if (m != null) {
            m.meters.forEach(registry::remove);
        }
        authFailures.entrySet().removeIf(e -> {
            if (e.getKey().startsWith(tunnel + '\0')) {
                registry.remove(e.getValue());
                return true;
            }
            return false;
        });
        handshakes.remove(gateway, tunnel);
    }

    public void ikeSaEstablished(String tunnel) {
        meters(tunnel).established.increment();
    }

    @Override
    public void ikeSaEstablished(String tunnel, Duration handshake) {
        ikeSaEstablished(tunnel);
        handshakeDuration(tunnel, handshake);
    }

    public void handshakeDuration(String tunnel, Duration duration) {
        meters(tunnel); // the tunnel's other series exist too once it has a handshake
        handshakes.labelValues(gateway, tunnel).observe(duration.toNanos() / 1e9);
    }

    @Override
    public void ikeRekey(String tunnel) {
        meters(tunnel).ikeRekeys.increment();
    }

    @Override
    public void childRekey(String tunnel) {
        meters(tunnel).childRekeys.increment();
    }

    @Override
    public void retransmit(String tunnel) {
        meters(tunnel).retransmits.increment();
    }

    /** {@code reason} is a short fixed word (psk_mismatch, id_mismatch, cert_invalid, ...), never peer-supplied text. */
    public void authFailure(String tunnel, String reason) {
        meters(tunnel);
        authFailures.computeIfAbsent(tunnel + '\0' + reason, k -> Counter.builder(AUTH_FAILURES)
                .description("IKE_AUTH exchanges that failed authentication, by reason")
                .tags("tunnel", tunnel, "reason", reason).register(registry)).increment();
    }

    @Override
    public void authFailure(String tunnel, FailureReason reason) {
        authFailure(tunnel, reason.label());
    }

    @Override
    public void dpdTimeout(String tunnel) {
        meters(tunnel).dpdTimeouts.increment();
    }

    /** strait_tunnel_rtt_seconds{tunnel}: the last liveness check's round trip (NaN before the first). */
    @Override
    public void roundTrip(String tunnel, Duration rtt) {
        meters(tunnel).rttSeconds = rtt.toNanos() / 1e9;
    }

    /** {@code kind} is "child" or "ike": simultaneous rekeys settled by the nonces (RFC 7296 2.8.1/2.8.2). */
    @Override
    public void rekeyCollision(String tunnel, String kind) {
        TunnelMeters m = meters(tunnel);
        ("ike".equals(kind) ? m.ikeRekeyCollisions : m.childRekeyCollisions).increment();
    }

    @Override
    public void reconnect(String tunnel) {
        meters(tunnel).reconnects.increment();
    }

    /** Marks the tunnel up or down; going up stamps strait_tunnel_established_timestamp_seconds with now. */
    @Override
    public void tunnelUp(String tunnel, boolean up) {
        TunnelMeters m = meters(tunnel);
        synchronized (m) {
            if (up && m.up == 0) {
                m.establishedEpochSeconds = clock.millis() / 1000.0;
            }
            m.up = up ? 1 : 0;
        }
    }

    /** Gauge of IKE SAs between IKE_SA_INIT and a completed IKE_AUTH; the engine owns the count. */
    public void halfOpenSas(IntSupplier supplier) {
        Objects.requireNonNull(supplier, "supplier");
        Gauge.builder(HALF_OPEN, supplier, s -> s.getAsInt())
                .description("IKE SAs that finished IKE_SA_INIT but not yet IKE_AUTH (responder side)")
                .strongReference(true)
                .register(registry);
    }

    @Override
    public void cookieSent() {
        cookiesSent.increment();
    }

    @Override
    public void dropped(IkeDrop reason) {
        dropped.get(reason).increment();
    }

    @Override
    public void rejected(IkeRejection reason) {
        rejected.get(reason).increment();
    }

    /** {@code direction} is "sent" or "received". */
    @Override
    public void fragment(String direction) {
        ("sent".equals(direction) ? fragmentsSent : fragmentsReceived).increment();
    }

    /** Prometheus text exposition format 0.0.4. */
    public String scrape() {
        return registry.scrape();
    }

    /** The content type that goes with {@link #scrape()}. */
    public static String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }

    private TunnelMeters meters(String tunnel) {
        Objects.requireNonNull(tunnel, "tunnel");
        return tunnels.computeIfAbsent(tunnel, TunnelMeters::new);
    }

    private final class TunnelMeters {
        final List<Meter> meters = new ArrayList<>();
        final Counter established;
        final Counter ikeRekeys;
        final Counter childRekeys;
        final Counter retransmits;
        final Counter dpdTimeouts;
        final Counter childRekeyCollisions;
        final Counter ikeRekeyCollisions;
        final Counter reconnects;
        volatile int up;
        volatile double establishedEpochSeconds;
        volatile double rttSeconds = Double.NaN;
        volatile double certificateExpiryEpochSeconds = Double.NaN;
        Meter certificateExpiry;

        TunnelMeters(String tunnel) {
            Tags tags = Tags.of("tunnel", tunnel);
            established = counter(IKE_ESTABLISHED, "IKE SAs established (initial and rekeyed)", tags);
            ikeRekeys = counter(IKE_REKEYS, "IKE SA rekeys completed", tags);
            childRekeys = counter(CHILD_REKEYS, "Child SA rekeys completed", tags);
            retransmits = counter(RETRANSMITS, "IKE requests retransmitted", tags);
            dpdTimeouts = counter(DPD_TIMEOUTS, "Peers declared dead by dead peer detection", tags);
            String collisions = "Simultaneous rekeys of one SA by both peers, settled by the nonces";
            childRekeyCollisions = counter(REKEY_COLLISIONS, collisions, tags.and("kind", "child"));
            ikeRekeyCollisions = counter(REKEY_COLLISIONS, collisions, tags.and("kind", "ike"));
            reconnects = counter(RECONNECTS, "Reconnect attempts scheduled after a failure or a lost IKE SA", tags);
            meters.add(Gauge.builder(TUNNEL_UP, this, m -> m.up).tags(tags)
                    .description("1 when the tunnel has an established IKE SA and Child SA, else 0").register(registry));
            meters.add(Gauge.builder(ESTABLISHED_TIMESTAMP, this, m -> m.establishedEpochSeconds).tags(tags)
                    .description("Unix time the tunnel last came up (0 before it ever did)").register(registry));
            meters.add(Gauge.builder(TUNNEL_RTT, this, m -> m.rttSeconds).tags(tags)
                    .description("Round trip of the last liveness check answered without retransmission (NaN before the first)")
                    .register(registry));
        }

        private Counter counter(String name, String help, Tags tags) {
            Counter c = Counter.builder(name).description(help).tags(tags).register(registry);
            meters.add(c);
            return c;
        }
    }
}
