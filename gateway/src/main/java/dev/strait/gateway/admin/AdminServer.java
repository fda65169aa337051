package dev.strait.gateway.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.strait.api.text.Printable;
import dev.strait.gateway.ike.sa.IkeEngine.RekeyOutcome;
import dev.strait.gateway.ike.sa.IkeEngine.RekeyTarget;
import dev.strait.gateway.metrics.GatewayMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's admin HTTP endpoints (kubelet probes and Prometheus):
 * <ul>
 *   <li>{@code /healthz}: 200 while the process serves requests (liveness)</li>
 *   <li>{@code /readyz}: 200 when the readiness supplier says so, else 503</li>
 *   <li>{@code /metrics}: Prometheus text format</li>
 *   <li>{@code /status}: the status supplier's object as JSON (SPIs, addresses, subnets)</li>
 *   <li>{@code POST /tunnels/NAME/rekey?sa=child|ike}: starts a rekey now (like {@code swanctl --rekey}); 202 when
 *       started, 404 unknown tunnel, 409 no established SA, 400 bad {@code sa}, 403 from a browser page (an Origin
 *       header), 503 when the IKE SA did not take the request in time</li>
 * </ul>
 * Everything else is GET and HEAD only (405 for other methods), other paths 404. One virtual thread per request.
 * The rekey action is there only when a {@link Rekeyer} is given.
 * <p>Who may ask: health and metrics are public, for the kubelet and Prometheus, which reach a pod on its IP (the
 * operator's config binds 0.0.0.0 for them). {@code /status} and actions answer only clients in the gateway's own
 * network namespace, loopback or one of the host's or pod's own addresses ({@code kubectl exec ... curl
 * localhost:9090/status}, {@code kubectl port-forward}); anyone else, including the remote LAN through a tunnel, gets
 * 403. The standalone gateway binds loopback by default, so nothing is reachable from elsewhere unless configured.
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
    private final Rekeyer rekeyer;
    /** Clients that may read /status and use actions: see the class comment. */
    private final Predicate<InetAddress> localClient;

    /** Starts a rekey of a tunnel's SAs (the IKE engine's {@code rekey}). */
    @FunctionalInterface
    public interface Rekeyer {
        RekeyOutcome rekey(String tunnel, RekeyTarget target);
    }

    private AdminServer(HttpServer server, ExecutorService executor, BooleanSupplier ready, Supplier<?> status,
            GatewayMetrics metrics, Rekeyer rekeyer, Predicate<InetAddress> localClient) {
        this.server = server;
        this.executor = executor;
        this.ready = ready;
        this.status = status;
        this.metrics = metrics;
        this.rekeyer = rekeyer;
        this.localClient = localClient;
    }

    /** Binds {@code address} (port 0 picks a free port, see {@link #address()}) and starts serving, without actions. */
    public static AdminServer start(InetSocketAddress address, BooleanSupplier ready, Supplier<?> status,
            GatewayMetrics metrics) throws IOException {
        return start(address, ready, status, metrics, null, AdminServer::isLocalAddress);
    }

    /** Like the read-only start, plus {@code POST /tunnels/NAME/rekey} for clients on this host. */
    public static AdminServer start(InetSocketAddress address, BooleanSupplier ready, Supplier<?> status,
            GatewayMetrics metrics, Rekeyer rekeyer) throws IOException {
        return start(address, ready, status, metrics, Objects.requireNonNull(rekeyer, "rekeyer"), AdminServer::isLocalAddress);
    }

    /** {@code localClient} says which client addresses may read /status and use actions (tests narrow or widen it). */
    static AdminServer start(InetSocketAddress address, BooleanSupplier ready, Supplier<?> status,
            GatewayMetrics metrics, Rekeyer rekeyer, Predicate<InetAddress> localClient) throws IOException {
        Objects.requireNonNull(ready, "ready");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(localClient, "localClient");
        HttpServer server = HttpServer.create(address, 64);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        AdminServer admin = new AdminServer(server, executor, ready, status, metrics, rekeyer, localClient);
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
            String path = ex.getRequestURI().getPath();
            if (rekeyer != null && path.length() >= TUNNELS.length() + REKEY.length() && path.startsWith(TUNNELS)
                    && path.endsWith(REKEY)) {
                handleRekey(ex, path);
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                send(ex, 405, TEXT, "method not allowed\n");
                return;
            }
            switch (path) {
                case "/healthz" -> send(ex, 200, TEXT, "ok\n");
                case "/readyz" -> {
                    boolean ok = isReady();
                    send(ex, ok ? 200 : 503, TEXT, ok ? "ready\n" : "not ready\n");
                }
                case "/status" -> {
                    if (refusedAsRemote(ex, false)) {
                        return;
                    }
                    sendStatus(ex);
                }
                case "/metrics" -> send(ex, 200, GatewayMetrics.contentType(), metrics.scrape());
                default -> send(ex, 404, TEXT, "not found\n");
            }
        } catch (IOException e) {
            // the client went away mid-response; nothing to answer
            LOG.debug("admin request failed: {}", e.toString());
        }
    }

    private static final String TUNNELS = "/tunnels/";
    /** Tunnel names are at most 63 characters (the config validator's rule): a longer one is unknown. */
    private static final int MAX_TUNNEL_NAME = 63;
    private static final String REKEY = "/rekey";

    /** {@code POST /tunnels/NAME/rekey?sa=child|ike}: answers before the exchange completes (202 Accepted). */
    private void handleRekey(HttpExchange ex, String path) throws IOException {
        if (!ex.getRequestMethod().equals("POST")) {
            ex.getResponseHeaders().set("Allow", "POST");
            sendJson(ex, 405, Map.of("error", "method not allowed, use POST"));
            return;
        }
        InetAddress client = ex.getRemoteAddress().getAddress();
        if (refusedAsRemote(ex, true)) {
            return;
        }
        if (ex.getRequestHeaders().containsKey("Origin")) {
            LOG.warn("admin: refused a rekey request from a browser page on {}", client.getHostAddress());
            sendJson(ex, 403, Map.of("error", "actions are not for browser pages"));
            return;
        }
        // Decoded from the URL: may hold CR/LF or be 60 KB long, so it is clipped in logs and never echoed when unknown.
        String tunnel = path.substring(TUNNELS.length(), path.length() - REKEY.length());
        if (tunnel.isEmpty() || tunnel.contains("/") || tunnel.length() > MAX_TUNNEL_NAME) {
            sendJson(ex, 404, Map.of("error", "unknown tunnel"));
            return;
        }
        String sa = queryParameter(ex.getRequestURI().getRawQuery(), "sa");
        RekeyTarget target = "child".equals(sa) ? RekeyTarget.CHILD : "ike".equals(sa) ? RekeyTarget.IKE : null;
        if (target == null) {
            sendJson(ex, 400, Map.of("error", "sa must be child or ike"));
            return;
        }
        RekeyOutcome outcome;
        try {
            outcome = rekeyer.rekey(tunnel, target);
        } catch (RuntimeException e) {
            LOG.warn("admin: rekey of tunnel {} failed: {}", Printable.clip(tunnel), e.toString());
            sendJson(ex, 500, Map.of("error", "rekey failed"));
            return;
        }
        LOG.info("admin: {} SA rekey of tunnel {} requested by {}: {}", sa, Printable.clip(tunnel), client.getHostAddress(),
                outcome);
        Map<String, Object> body = new LinkedHashMap<>();
        if (outcome != RekeyOutcome.UNKNOWN_TUNNEL) {
            body.put("tunnel", tunnel); // a tunnel's own name; an unknown one is the client's text and is not echoed
        }
        body.put("sa", sa);
        switch (outcome) {
            case STARTED -> {
                body.put("result", "rekey started");
                sendJson(ex, 202, body);
            }
            case UNKNOWN_TUNNEL -> {
                body.put("error", "unknown tunnel");
                sendJson(ex, 404, body);
            }
            case NOT_ESTABLISHED -> {
                body.put("error", "the tunnel has no established " + ("ike".equals(sa) ? "IKE SA" : "Child SA"));
                sendJson(ex, 409, body);
            }
            case BUSY -> {
                body.put("error", "the IKE SA did not take the request in time; try again");
                sendJson(ex, 503, body);
            }
        }
    }

    /**
     * Answers 403 and returns true unless the client is in our network namespace. Logged at DEBUG only: anyone who can
     * reach the port could otherwise fill the log.
     */
    private boolean refusedAsRemote(HttpExchange ex, boolean action) throws IOException {
        InetAddress client = ex.getRemoteAddress().getAddress();
        if (localClient.test(client)) {
            return false;
        }
        LOG.debug("admin: refused {} for {}", action ? "an action" : "/status", client.getHostAddress());
        if (action) {
            sendJson(ex, 403, Map.of("error", "actions are only for clients on the gateway's host or pod"));
        } else {
            send(ex, 403, TEXT, "/status answers only clients on the gateway's host or pod\n");
        }
        return true;
    }

    /** The first value of {@code name} in a raw query string, URL-decoded; null when absent or malformed. */
    static String queryParameter(String rawQuery, String name) {
        if (rawQuery == null) {
            return null;
        }
        try {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                if (java.net.URLDecoder.decode(key, StandardCharsets.UTF_8).equals(name)) {
                    return eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                }
            }
        } catch (IllegalArgumentException e) {
            return null; // a broken %-escape
        }
        return null;
    }

    /** A client in our own network namespace: loopback, or one of this host's (pod's) own addresses. */
    static boolean isLocalAddress(InetAddress a) {
        if (a == null) {
            return false;
        }
        if (a.isLoopbackAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(a) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    private static void sendJson(HttpExchange ex, int code, Object body) throws IOException {
        send(ex, code, "application/json", JSON.writeValueAsBytes(body));
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
