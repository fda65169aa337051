package dev.strait.e2e.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.gateway.config.ConfigLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The real gateway jar (system property strait.gateway.jar) running in one namespace through
 * {@code ip netns exec}. Admin endpoints are reached with curl inside the namespace: the test JVM stays in the
 * root namespace, where the site addresses do not exist.
 */
public final class GatewayProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Sites sites;
    private final String ns;
    private final String adminHost;
    private final Path dir;
    private Process process;
    private int adminPort = 9090;

    /** {@code adminHost} is an address of {@code ns} that the admin server listens on (e.g. the transit address). */
    public GatewayProcess(Sites sites, String ns, String adminHost) {
        this.sites = sites;
        this.ns = ns;
        this.adminHost = adminHost;
        this.dir = E2eDirs.work("gateway-" + ns);
    }

    public Path logFile() {
        return dir.resolve("gateway.log");
    }

    public Path configFile() {
        return dir.resolve("gateway.yaml");
    }

    public String namespace() {
        return ns;
    }

    /** Writes the YAML (mode 600: it may hold a PSK) and starts the jar; does not wait for readiness. */
    public GatewayProcess start(GatewayConfig config) {
        try {
            return start(ConfigLoader.yaml().writeValueAsString(config), java.util.Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot render the gateway config", e);
        }
    }

    /**
     * Starts the jar with a ready-made YAML (e.g. the operator's rendered config), extra environment (KUBECONFIG)
     * and extra {@code run} arguments; does not wait for readiness.
     */
    public GatewayProcess start(String yaml, java.util.Map<String, String> env, String... runArgs) {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("gateway in " + ns + " already runs (pid " + process.pid() + ")");
        }
        try {
            GatewayConfig parsed = ConfigLoader.yaml().readValue(yaml, GatewayConfig.class);
            adminPort = parsed.admin != null && parsed.admin.port != null ? parsed.admin.port : 9090;
            writeConfig(yaml);
            java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("ip", "netns", "exec", ns,
                    javaBinary(), "--enable-native-access=ALL-UNNAMED", "-jar", gatewayJar().toString(), "run",
                    "--config", configFile().toString()));
            cmd.addAll(java.util.List.of(runArgs));
            // ip netns exec execs in place, so the Process is the JVM itself and SIGTERM reaches it directly
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(logFile().toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().putAll(env);
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the gateway in " + ns, e);
        }
        return this;
    }

    /**
     * Replaces the config file the way the kubelet updates a mounted Secret: a new file moved into place (mode 600),
     * so the gateway's watcher never reads half a file.
     */
    public void writeConfig(String yaml) throws IOException {
        Path tmp = dir.resolve("gateway.yaml.tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, yaml);
        Files.move(tmp, configFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Polls /readyz until it answers 200; fails early with the log tail when the process exits. */
    public GatewayProcess awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("gateway in " + ns + " exited with " + process.exitValue()
                        + " before it was ready\n" + LogFiles.tail(logFile(), 60));
            }
            ExecResult r = curl(Duration.ofSeconds(3), "-s", "-o", "/dev/null", "-w", "%{http_code}",
                    "--max-time", "1", url("/readyz"));
            last = r.stdout().strip();
            if (last.equals("200")) {
                return this;
            }
            sleep(200);
        }
        throw new IllegalStateException("gateway in " + ns + " not ready within " + timeout + " (last /readyz: "
                + (last.isEmpty() ? "no answer" : last) + ")\n" + LogFiles.tail(logFile(), 60));
    }

    public JsonNode status() {
        String body = get("/status");
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("/status is not JSON: " + body, e);
        }
    }

    public String metrics() {
        return get("/metrics");
    }

    /** HTTP status code of a GET (0 when nothing answered). */
    public int httpStatus(String path) {
        String code = curl(Duration.ofSeconds(5), "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "--max-time", "2", url(path)).stdout().strip();
        return code.isEmpty() ? 0 : Integer.parseInt(code);
    }

    /** Body of a GET that must answer 2xx. */
    public String get(String path) {
        return curl(Duration.ofSeconds(10), "-sS", "-f", "--max-time", "5", url(path)).orThrow().stdout();
    }

    /** HTTP status code of a POST without a body (0 when nothing answered), e.g. an operator action. */
    public int post(String path) {
        String code = curl(Duration.ofSeconds(10), "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                "--max-time", "5", url(path)).stdout().strip();
        return code.isEmpty() ? 0 : Integer.parseInt(code);
    }

    /** The admin URL of {@code path}, reachable only from inside {@link #namespace()}. */
    public String adminUrl(String path) {
        return url(path);
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL: the gateway vanishes without sending DELETEs (a crash, as the peer sees it). */
    public void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGTERM, then SIGKILL after 10 s; returns the exit code (or -1 if it was never started). */
    public int stop() {
        if (process == null) {
            return -1;
        }
        try {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void close() {
        stop();
    }

    private String url(String path) {
        return "http://" + adminHost + ":" + adminPort + path;
    }

    private ExecResult curl(Duration timeout, String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "curl";
        System.arraycopy(args, 0, cmd, 1, args.length);
        return sites.exec(ns, timeout, cmd);
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static Path gatewayJar() {
        String jar = System.getProperty("strait.gateway.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("gateway jar not found (system property strait.gateway.jar=" + jar
                    + "); build it with ./mvnw -pl gateway -am package");
        }
        return Path.of(jar);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

}
