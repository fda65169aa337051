package dev.strait.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strait.gateway.ike.sa.IkeEngine.RekeyOutcome;
import dev.strait.gateway.ike.sa.IkeEngine.RekeyTarget;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** POST /tunnels/NAME/rekey: status codes, what reaches the engine, and who may ask. */
class AdminRekeyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A recorded call to the engine. */
    record Call(String tunnel, RekeyTarget target) {
    }

    private final List<Call> calls = new CopyOnWriteArrayList<>();
    /** Tunnel "up" has SAs, "down" has none, "slow" never gets its SA's attention; everything else is unknown. */
    private final AdminServer.Rekeyer engine = (tunnel, target) -> {
        calls.add(new Call(tunnel, target));
        return switch (tunnel) {
            case "up" -> RekeyOutcome.STARTED;
            case "down" -> RekeyOutcome.NOT_ESTABLISHED;
            case "slow" -> RekeyOutcome.BUSY;
            case "broken" -> throw new IllegalStateException("engine exploded");
            default -> RekeyOutcome.UNKNOWN_TUNNEL;
        };
    };
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private AdminServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start(AdminServer.Rekeyer rekeyer, Predicate<InetAddress> operatorClient) throws Exception {
        server = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), () -> true, Map::of,
                new GatewayMetrics("gw-test"), rekeyer, operatorClient);
    }

    private void start() throws Exception {
        start(engine, AdminServer::isLocalAddress);
    }

    private HttpResponse<String> send(String method, String pathAndQuery, Map<String, String> headers) throws Exception {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + pathAndQuery))
                .timeout(Duration.ofSeconds(5)).method(method, HttpRequest.BodyPublishers.noBody());
        headers.forEach(req::header);
        return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String pathAndQuery) throws Exception {
        return send("POST", pathAndQuery, Map.of());
    }

    @Test
    void childRekeyIsAcceptedAndReachesTheEngine() throws Exception {
        start();
        var r = post("/tunnels/up/rekey?sa=child");
        assertEquals(202, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
        JsonNode body = JSON.readTree(r.body());
        assertEquals("up", body.path("tunnel").asText());
        assertEquals("child", body.path("sa").asText());
        assertEquals("rekey started", body.path("result").asText());
        assertEquals(List.of(new Call("up", RekeyTarget.CHILD)), calls);
    }

    @Test
    void ikeRekeyIsAcceptedAndReachesTheEngine() throws Exception {
        start();
        assertEquals(202, post("/tunnels/up/rekey?sa=ike").statusCode());
        assertEquals(List.of(new Call("up", RekeyTarget.IKE)), calls);
    }

    @Test
    void tunnelNamesArePercentDecoded() throws Exception {
        start();
        assertEquals(404, post("/tunnels/to%2Db/rekey?sa=child").statusCode());
        assertEquals(List.of(new Call("to-b", RekeyTarget.CHILD)), calls);
    }

    @Test
    void unknownTunnelIs404() throws Exception {
        start();
        var r = post("/tunnels/nope/rekey?sa=ike");
        assertEquals(404, r.statusCode());
        assertEquals("unknown tunnel", JSON.readTree(r.body()).path("error").asText());
    }

    @Test
    void noEstablishedSaIs409() throws Exception {
        start();
        var r = post("/tunnels/down/rekey?sa=child");
        assertEquals(409, r.statusCode());
        assertTrue(JSON.readTree(r.body()).path("error").asText().contains("no established Child SA"), r.body());
        assertEquals(409, post("/tunnels/down/rekey?sa=ike").statusCode());
    }

    @Test
    void busyIs503AndAnEngineFailureIs500() throws Exception {
        start();
        assertEquals(503, post("/tunnels/slow/rekey?sa=ike").statusCode());
        var r = post("/tunnels/broken/rekey?sa=ike");
        assertEquals(500, r.statusCode());
        assertFalse(r.body().contains("exploded"), "no internals in the answer: " + r.body());
        assertEquals(200, send("GET", "/healthz", Map.of()).statusCode(), "the server keeps serving");
    }

    @Test
    void badOrMissingSaIs400WithoutCallingTheEngine() throws Exception {
        start();
        for (String q : List.of("", "?sa=", "?sa=esp", "?sa=CHILD", "?sa=chil%64x", "?other=child")) {
            var r = post("/tunnels/up/rekey" + q);
            assertEquals(400, r.statusCode(), q + ": " + r.body());
        }
        assertEquals(List.of(), calls);
    }

    @Test
    void otherMethodsOnTheRekeyPathAre405() throws Exception {
        start();
        for (String m : List.of("GET", "HEAD", "PUT", "DELETE")) {
            var r = send(m, "/tunnels/up/rekey?sa=child", Map.of());
            assertEquals(405, r.statusCode(), m);
            assertEquals("POST", r.headers().firstValue("Allow").orElseThrow(), m);
        }
        assertEquals(List.of(), calls);
    }

    @Test
    void postElsewhereIsStill405AndOtherTunnelPathsAre404() throws Exception {
        start();
        var r = post("/status");
        assertEquals(405, r.statusCode());
        assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElseThrow());
        assertEquals(405, post("/tunnels/up").statusCode());
        assertEquals(405, post("/tunnels/rekey?sa=child").statusCode());
        assertEquals(404, post("/tunnels//rekey?sa=child").statusCode());
        assertEquals(404, post("/tunnels/a/b/rekey?sa=child").statusCode());
        assertEquals(404, send("GET", "/tunnels/up", Map.of()).statusCode());
        assertEquals(List.of(), calls);
    }

    @Test
    void withoutARekeyerTheActionDoesNotExist() throws Exception {
        start(null, a -> true);
        var r = post("/tunnels/up/rekey?sa=child");
        assertEquals(405, r.statusCode());
        assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElseThrow());
    }

    @Test
    void clientsFromOtherHostsAreRefused() throws Exception {
        start(engine, a -> false); // as if 127.0.0.1 were a remote pod
        var r = post("/tunnels/up/rekey?sa=ike");
        assertEquals(403, r.statusCode());
        assertEquals(List.of(), calls);
        assertEquals(200, send("GET", "/healthz", Map.of()).statusCode(), "health stays open for the kubelet");
        assertEquals(200, send("GET", "/readyz", Map.of()).statusCode(), "readiness stays open for the kubelet");
        assertEquals(200, send("GET", "/metrics", Map.of()).statusCode(), "metrics stay open for Prometheus");
        var status = send("GET", "/status", Map.of());
        assertEquals(403, status.statusCode(), "SPIs, addresses and subnets only for the gateway's own host or pod");
        assertFalse(status.body().contains("{"), status.body());
    }

    @Test
    void statusAnswersLocalClients() throws Exception {
        start();
        assertEquals(200, send("GET", "/status", Map.of()).statusCode(), "curl localhost:9090/status inside the pod");
    }

    @Test
    void tunnelNamesFromTheUrlAreNeitherEchoedNorLoggedRaw() throws Exception {
        start();
        String longName = "x".repeat(60_000);
        var r = post("/tunnels/" + longName + "/rekey?sa=ike");
        assertEquals(404, r.statusCode());
        assertTrue(r.body().length() < 200, "a 60 KB name is not echoed: " + r.body().length() + " bytes");
        assertEquals(List.of(), calls, "longer than any tunnel name: not even asked");

        try (var log = dev.strait.gateway.testing.CapturedOutput.start()) {
            var crlf = post("/tunnels/evil%0d%0a2026-01-01T00:00:00Z%20%5BERROR%5D%20forged/rekey?sa=ike");
            assertEquals(404, crlf.statusCode());
            assertFalse(crlf.body().contains("forged"), crlf.body());
            String logged = log.stderr();
            assertTrue(logged.contains("evil\\r\\n2026-01-01T00:00:00Z [ERROR] forged"), "escaped in the log: " + logged);
            assertFalse(logged.contains("\n2026-01-01T00:00:00Z [ERROR] forged"), "no forged log line: " + logged);
        }
    }

    @Test
    void browserPagesAreRefused() throws Exception {
        start();
        // A page on any origin could POST to localhost:9090 from the operator's browser; curl sends no Origin.
        assertEquals(403, send("POST", "/tunnels/up/rekey?sa=ike", Map.of("Origin", "http://evil.example")).statusCode());
        assertEquals(List.of(), calls);
    }

    @Test
    void localAddressesAreLoopbackOrOurOwn() throws Exception {
        assertTrue(AdminServer.isLocalAddress(InetAddress.getByName("127.0.0.1")));
        assertTrue(AdminServer.isLocalAddress(InetAddress.getByName("::1")));
        assertFalse(AdminServer.isLocalAddress(InetAddress.getByName("192.0.2.77")), "TEST-NET-1 is nobody's address here");
        assertFalse(AdminServer.isLocalAddress(null));
    }

    @Test
    void queryParameters() {
        assertEquals("ike", AdminServer.queryParameter("a=1&sa=ike&sa=child", "sa"));
        assertEquals("", AdminServer.queryParameter("sa", "sa"));
        assertEquals("child", AdminServer.queryParameter("s%61=chil%64", "sa"));
        assertNull(AdminServer.queryParameter(null, "sa"));
        assertNull(AdminServer.queryParameter("x=%zz", "sa"));
    }
}
