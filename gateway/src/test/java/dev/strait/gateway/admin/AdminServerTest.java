package dev.strait.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strait.gateway.metrics.GatewayMetrics;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminServerTest {
    record TunnelView(String name, String phase, long established) {
    }

    private final AtomicBoolean ready = new AtomicBoolean(false);
    private final AtomicReference<Supplier<Object>> status =
            new AtomicReference<>(() -> Map.of("tunnels", List.of(new TunnelView("t1", "Established", 42))));
    private final GatewayMetrics metrics = new GatewayMetrics("gw-test");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private AdminServer server;

    @BeforeEach
    void start() throws Exception {
        server = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                ready::get, () -> status.get().get(), metrics);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + server.address().getPort() + path);
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send("GET", path);
    }

    @Test
    void boundToAnEphemeralLoopbackPort() {
        assertTrue(server.address().getPort() > 0);
        assertTrue(server.address().getAddress().isLoopbackAddress());
    }

    @Test
    void healthzIsAlwaysOk() throws Exception {
        var r = get("/healthz");
        assertEquals(200, r.statusCode());
        assertEquals("ok\n", r.body());
    }

    @Test
    void readyzFollowsTheSupplier() throws Exception {
        assertEquals(503, get("/readyz").statusCode());
        ready.set(true);
        assertEquals(200, get("/readyz").statusCode());
        ready.set(false);
        assertEquals(503, get("/readyz").statusCode());
    }

    @Test
    void readyzIsNotReadyWhenTheSupplierThrows() throws Exception {
        server.close();
        server = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                () -> { throw new IllegalStateException("engine gone"); }, Map::of, metrics);
        assertEquals(503, get("/readyz").statusCode());
        assertEquals(200, get("/healthz").statusCode());
    }

    @Test
    void statusIsTheSuppliersObjectAsJson() throws Exception {
        var r = get("/status");
        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
        JsonNode tree = new ObjectMapper().readTree(r.body());
        assertEquals("t1", tree.at("/tunnels/0/name").asText());
        assertEquals("Established", tree.at("/tunnels/0/phase").asText());
        assertEquals(42, tree.at("/tunnels/0/established").asLong());
    }

    @Test
    void statusFailureIs500AndTheServerKeepsServing() throws Exception {
        status.set(() -> { throw new IllegalStateException("boom"); });
        var r = get("/status");
        assertEquals(500, r.statusCode());
        assertEquals("status unavailable\n", r.body());
        assertEquals(200, get("/healthz").statusCode());
    }

    @Test
    void metricsIsPrometheusText() throws Exception {
        metrics.registerTunnel("t1");
        metrics.ikeSaEstablished("t1");
        var r = get("/metrics");
        assertEquals(200, r.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("Content-Type").orElseThrow());
        assertTrue(r.body().contains("# TYPE strait_ike_sa_established_total counter"), r.body());
        assertTrue(r.body().contains("strait_ike_sa_established_total{gateway=\"gw-test\",tunnel=\"t1\"} 1.0"), r.body());
    }

    @Test
    void unknownPathsAre404EvenWithAKnownPrefix() throws Exception {
        assertEquals(404, get("/").statusCode());
        assertEquals(404, get("/healthzz").statusCode());
        assertEquals(404, get("/metrics/x").statusCode());
    }

    @Test
    void onlyGetAndHeadAreAllowed() throws Exception {
        var post = send("POST", "/readyz");
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElseThrow());
        var head = send("HEAD", "/healthz");
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
    }
}
