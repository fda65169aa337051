package dev.strait.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Readiness says why the agent has not applied this node's routes; no kernel state is touched here. */
class RouteAgentHealthTest {
    @Test
    void notReadyUntilSyncedThenNotReadyWhileTheNodeIsUnknownWithTheReason() throws Exception {
        AtomicBoolean synced = new AtomicBoolean(false);
        ClusterView empty = new ClusterView("n9", Map.of(), List.of());
        // The reconciler is never reached: without its node in the view the agent changes nothing.
        try (RouteAgent agent = new RouteAgent("n9", RoutingSettings.defaults(), null, null, n -> empty, synced::get)
                .start(Duration.ofSeconds(30));
                HealthServer server = new HealthServer(new InetSocketAddress("127.0.0.1", 0), "n9", agent::health);
                HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = get(http, server, "/readyz");
            assertEquals(503, r.statusCode());
            assertTrue(r.body().contains("not synced"), r.body());
            assertEquals(200, get(http, server, "/healthz").statusCode(), "alive while not ready");
            synced.set(true);
            Instant end = Instant.now().plusSeconds(30);
            while (agent.health().lastPass() == null && Instant.now().isBefore(end)) {
                Thread.sleep(20);
            }
            r = get(http, server, "/readyz");
            assertEquals(503, r.statusCode());
            assertTrue(r.body().contains("node n9 has no InternalIP"), r.body());
            assertFalse(agent.health().ready());
            assertTrue(get(http, server, "/status").body().contains("\"ready\" : false"));
        }
    }

    private static HttpResponse<String> get(HttpClient http, HealthServer server, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
