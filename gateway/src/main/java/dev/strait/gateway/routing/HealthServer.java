package dev.strait.gateway.routing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The agent's probes: {@code /healthz} (the process serves), {@code /readyz} (200 once the last pass applied this
 * node's routes, else 503 with the reason) and {@code /status} (JSON). Read-only and secret-free: the agent handles no
 * keys. A route agent pod's Ready condition is so the per-node health the operator can show on an IPsecGateway.
 */
public final class HealthServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;

    public HealthServer(InetSocketAddress bind, String nodeName, Supplier<RouteAgent.Health> health)
            throws IOException {
        server = HttpServer.create(bind, 8);
        server.createContext("/healthz", ex -> reply(ex, 200, "text/plain", "ok\n"));
        server.createContext("/readyz", ex -> {
            RouteAgent.Health h = health.get();
            reply(ex, h.ready() ? 200 : 503, "text/plain", h.message() + "\n");
        });
        server.createContext("/status", ex -> {
            RouteAgent.Health h = health.get();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node", nodeName);
            m.put("ready", h.ready());
            m.put("message", h.message());
            m.put("lastPass", h.lastPass() == null ? null : h.lastPass().toString());
            m.put("routes", h.routes());
            reply(ex, 200, "application/json", JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m) + "\n");
        });
        server.setExecutor(null); // the server's own thread: probes are rare and tiny
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
