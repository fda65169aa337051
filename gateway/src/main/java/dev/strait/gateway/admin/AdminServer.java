package dev.strait.gateway.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.strait.gateway.metrics.GatewayMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's admin HTTP endpoints (kubelet probes and Prometheus):
 * <ul>
 *   <li>{@code /healthz}: 200 while the process serves requests (liveness)</li>
 *   <li>{@code /readyz}: 200 when the readiness supplier says so, else 503</li>
 *   <li>{@code /status}: the status supplier's object as JSON</li>
 *   <li>{@code /metrics}: Prometheus text format</li>
 * </ul>
 * Only GET and HEAD; anything else is 405, other paths 404. One virtual thread per request.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final String TEXT = "text/plain; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;
    private final BooleanSupplier ready;
    private final Supplier<?> status;
    private final GatewayMetrics metrics;

    private AdminServer(HttpServer server, ExecutorService executor, BooleanSupplier ready, Supplier<?> status,
            GatewayMetrics metrics) {
        this.server = server;
        this.executor = executor;
        this.ready = ready;
        this.status = status;
        this.metrics = metrics;
    }

    /** Binds {@code address} (port 0 picks a free port, see {@link #address()}) and starts serving. */
    public static AdminServer start(InetSocketAddress address, BooleanSupplier ready, Supplier<?> status,
            GatewayMetrics metrics) throws IOException {
        Objects.requireNonNull(ready, "ready");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(metrics, "metrics");
        HttpServer server = HttpServer.create(address, 64);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        AdminServer admin = new AdminServer(server, executor, ready, status, metrics);
        // One context for everything: HttpServer matches contexts by prefix, and /healthzXYZ must be a 404.
        server.createContext("/", admin::handle);
        server.setExecutor(executor);
        server.start();
        LOG.info("admin server listening on {}", admin.address());
        return admin;
    }

    /** The bound address, with the real port when 0 was asked for. */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                send(ex, 405, TEXT, "method not allowed\n");
                return;
            }
            switch (ex.getRequestURI().getPath()) {
                case "/healthz" -> send(ex, 200, TEXT, "ok\n");
                case "/readyz" -> {
                    boolean ok = isReady();
                    send(ex, ok ? 200 : 503, TEXT, ok ? "ready\n" : "not ready\n");
                }
                case "/status" -> sendStatus(ex);
                case "/metrics" -> send(ex, 200, GatewayMetrics.contentType(), metrics.scrape());
                default -> send(ex, 404, TEXT, "not found\n");
            }
        } catch (IOException e) {
            // the client went away mid-response; nothing to answer
            LOG.debug("admin request failed: {}", e.toString());
        }
    }

    private boolean isReady() {
        try {
            return ready.getAsBoolean();
        } catch (RuntimeException e) {
            LOG.warn("readiness check failed: {}", e.toString());
            return false;
        }
    }

    private void sendStatus(HttpExchange ex) throws IOException {
        byte[] body;
        try {
            body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(status.get());
        } catch (RuntimeException | IOException e) {
            LOG.warn("status unavailable: {}", e.toString());
            send(ex, 500, TEXT, "status unavailable\n");
            return;
        }
        send(ex, 200, "application/json", body);
    }

    private static void send(HttpExchange ex, int code, String contentType, String body) throws IOException {
        send(ex, code, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int code, String contentType, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(code, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
