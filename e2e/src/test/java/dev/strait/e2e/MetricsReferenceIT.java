package dev.strait.e2e;

import static dev.strait.e2e.HelmChartIT.await;
import static dev.strait.e2e.HelmChartIT.freePort;
import static dev.strait.e2e.HelmChartIT.httpGet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.e2e.support.E2eDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * docs/metrics.md against what the gateway and the operator really serve: names, types and label names, both ways.
 * Two gateways (datapath None, loopback ports) negotiate with each other, once with the right PSK and once with a
 * wrong one, so that the event-driven series exist too; the operator reconciles an example against an API server.
 */
class MetricsReferenceIT {
    static final Path REPO = E2eDirs.module().getParent();
    private static final Pattern ROW = Pattern.compile(
            "^\\| `([a-z_:][a-z0-9_:]*)` \\| (\\w+) \\| ([^|]*) \\| ([^|]+) \\| (always|on event) \\| .+\\|$");
    private static final Pattern TYPE = Pattern.compile("^# TYPE (\\S+) (\\S+)$");
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? .*$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");

    record Documented(String name, String type, TreeSet<String> labels, String source, boolean always) {
    }

    record Served(String type, TreeSet<String> labels) {
    }

    @Test
    void gatewayMetricsAreExactlyTheDocumentedOnes() throws Exception {
        Path work = E2eDirs.work("metrics-gateway");
        int ikeA = freePort(), nattA = freePort(), adminA = freePort(), ikeB = freePort(), adminB = freePort();
        // An initiator moves to the peer's port 4500 for IKE_AUTH (RFC 7296 section 2.23), so B listens on 4500 of a
        // loopback address of its own.
        String addrB = "127.77." + (1 + (int) (Math.random() * 250)) + "." + (1 + (int) (Math.random() * 250));
        String psk = "metrics-test-psk-0123456789abcdef";
        // B answers; A initiates "good" (same PSK) and "bad" (another PSK: B sees psk_mismatch).
        Path b = Files.writeString(work.resolve("b.yaml"), config("127.0.0.1", addrB, ikeB, 4500, adminB, List.of(
                tunnel("from-a", "a.test", "b.test", null, 0, "10.2.0.0/24", "10.1.0.0/24", psk, "Passive"),
                tunnel("from-a2", "a2.test", "b.test", null, 0, "10.2.1.0/24", "10.1.1.0/24", psk, "Passive"))));
        Path a = Files.writeString(work.resolve("a.yaml"), config("127.0.0.1", "127.0.0.1", ikeA, nattA, adminA, List.of(
                tunnel("good", "b.test", "a.test", addrB, ikeB, "10.1.0.0/24", "10.2.0.0/24", psk, "Start"),
                tunnel("bad", "b.test", "a2.test", addrB, ikeB, "10.1.1.0/24", "10.2.1.0/24", psk + "-wrong", "Start"))));
        Process gwB = startGateway(b, work.resolve("b.log"));
        Process gwA = null;
        try {
            await(() -> ok("http://127.0.0.1:" + adminB + "/readyz"), Duration.ofSeconds(30), "gateway B is ready");
            gwA = startGateway(a, work.resolve("a.log"));
            await(() -> {
                String m = scrape(adminA);
                return m.contains("strait_tunnel_up{gateway=\"standalone\",tunnel=\"good\"} 1")
                        && m.contains("strait_ike_auth_failures_total") ? m : null;
            }, Duration.ofSeconds(40), "tunnel good is up and bad has failed (logs in " + work + ")");
            await(() -> scrape(adminB).contains("reason=\"psk_mismatch\"") ? true : null, Duration.ofSeconds(20),
                    "B counts the wrong PSK as psk_mismatch");
            Map<String, Served> served = parse(scrape(adminA));
            parse(scrape(adminB)).forEach((k, v) -> served.merge(k, v, (x, y) -> {
                x.labels().addAll(y.labels());
                return x;
            }));
            List<Documented> doc = documented().stream().filter(d -> d.source().startsWith("gateway")).toList();
            compare(doc.stream().filter(d -> d.source().equals("gateway")).toList(), served);
            // Userspace-only series cannot exist in mode None (no TUN, no ESP): check they indeed do not.
            doc.stream().filter(d -> !d.source().equals("gateway")).forEach(d ->
                    assertTrue(!served.containsKey(d.name()), d.name() + " is documented as Userspace-only"));
            assertTrue(doc.stream().anyMatch(d -> d.name().equals("strait_esp_drops_total")));
        } finally {
            if (gwA != null) {
                HelmChartIT.stop(gwA);
            }
            HelmChartIT.stop(gwB);
        }
    }

    @Test
    void operatorMetricsAreExactlyTheDocumentedOnes() throws Exception {
        Path work = E2eDirs.work("metrics-operator");
        HelmChartIT.ControlPlane cp = HelmChartIT.ControlPlane.start(work.resolve("cp"), false);
        Process op = null;
        try {
            cp.kubectl("apply", "-f", REPO.resolve("crds").toString());
            cp.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s");
            cp.kubectl("create", "namespace", "m");
            int port = freePort();
            op = HelmChartIT.startOperator(cp.kubeconfig(), port, work.resolve("operator.log"));
            Path ex = REPO.resolve("examples");
            for (String f : List.of("psk-secret.yaml", "gateway.yaml", "tunnel-strongswan.yaml")) {
                cp.kubectl("apply", "-n", "m", "-f", ex.resolve(f).toString());
            }
            await(() -> {
                var c = HelmChartIT.configValid(cp.json("get", "ipsectunnel", "site-b", "-n", "m"));
                return c != null && c.path("status").asText().equals("True") ? c : null;
            }, Duration.ofSeconds(60), "site-b is ConfigValid=True");
            // deleting the tunnel runs the finalizer's cleanup and a delete event: those series appear too
            cp.kubectl("delete", "ipsectunnel", "site-b", "-n", "m", "--timeout=60s");
            int metricsPort = port;
            String text = await(() -> {
                String m = scrape(metricsPort);
                return m.contains("operator_sdk_controllers_execution_cleanup_success_total") ? m : null;
            }, Duration.ofSeconds(30), "the operator ran the tunnel's cleanup");
            Map<String, Served> served = parse(text);
            compare(documented().stream().filter(d -> d.source().equals("operator")).toList(), served);
        } finally {
            if (op != null) {
                HelmChartIT.stop(op);
            }
            cp.stop();
        }
    }

    /** Every served metric is documented with its type and label names; every "always" metric is served. */
    private static void compare(List<Documented> doc, Map<String, Served> served) {
        Map<String, Documented> byName = doc.stream().collect(Collectors.toMap(Documented::name, d -> d));
        List<String> problems = new ArrayList<>();
        served.forEach((name, s) -> {
            Documented d = byName.get(name);
            if (d == null) {
                problems.add(name + " (" + s.type() + ", labels " + s.labels() + ") is served but not in docs/metrics.md");
            } else {
                if (!d.type().equals(s.type())) {
                    problems.add(name + " is a " + s.type() + ", the doc says " + d.type());
                }
                if (!d.labels().equals(s.labels())) {
                    problems.add(name + " has labels " + s.labels() + ", the doc says " + d.labels());
                }
            }
        });
        doc.stream().filter(d -> d.always() && !served.containsKey(d.name()))
                .forEach(d -> problems.add(d.name() + " is documented as always present but is not served"));
        assertEquals(List.of(), problems, "docs/metrics.md and /metrics disagree");
        assertTrue(served.size() >= 5, "scraped " + served.keySet());
    }

    static List<Documented> documented() throws IOException {
        List<Documented> out = new ArrayList<>();
        for (String line : Files.readAllLines(REPO.resolve("docs/metrics.md"))) {
            Matcher m = ROW.matcher(line);
            if (m.matches()) {
                TreeSet<String> labels = new TreeSet<>();
                for (String l : m.group(3).split(",")) {
                    if (!l.isBlank()) {
                        labels.add(l.strip());
                    }
                }
                out.add(new Documented(m.group(1), m.group(2), labels, m.group(4).strip(), m.group(5).equals("always")));
            }
        }
        assertTrue(out.size() >= 20, "docs/metrics.md has its table (" + out.size() + " rows parsed)");
        return out;
    }

    /** Metric families by their # TYPE line; label names from the samples (histogram's le left out). */
    static Map<String, Served> parse(String exposition) {
        Map<String, Served> out = new TreeMap<>();
        for (String line : exposition.lines().toList()) {
            Matcher t = TYPE.matcher(line);
            if (t.matches()) {
                out.put(t.group(1), new Served(t.group(2), new TreeSet<>()));
                continue;
            }
            Matcher s = SAMPLE.matcher(line);
            if (line.startsWith("#") || !s.matches()) {
                continue;
            }
            String family = familyOf(s.group(1), out);
            if (family != null && s.group(2) != null) {
                Matcher l = LABEL.matcher(s.group(2));
                while (l.find()) {
                    if (!l.group(1).equals("le")) {
                        out.get(family).labels().add(l.group(1));
                    }
                }
            }
        }
        return out;
    }

    private static String familyOf(String sample, Map<String, Served> families) {
        if (families.containsKey(sample)) {
            return sample;
        }
        for (String suffix : List.of("_bucket", "_count", "_sum", "_created")) {
            if (sample.endsWith(suffix) && families.containsKey(sample.substring(0, sample.length() - suffix.length()))) {
                return sample.substring(0, sample.length() - suffix.length());
            }
        }
        return null;
    }

    private static String scrape(int port) {
        try {
            return httpGet("http://127.0.0.1:" + port + "/metrics");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Boolean ok(String url) {
        try {
            httpGet(url);
            return true;
        } catch (IOException | AssertionError e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static Process startGateway(Path config, Path log) throws IOException {
        String jar = System.getProperty("strait.gateway.jar", REPO.resolve("gateway/target/strait-gateway.jar").toString());
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar,
                "run", "--config", config.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static String config(String adminAddress, String listen, int ike, int natt, int admin, List<String> tunnels) {
        return """
                listen: {address: %s, ikePort: %d, nattPort: %d}
                admin: {address: %s, port: %d}
                datapath: {mode: None}
                tunnels:
                %s""".formatted(listen, ike, natt, adminAddress, admin, String.join("", tunnels));
    }

    private static String tunnel(String name, String peerId, String localId, String peerAddress, int peerPort,
            String localNet, String remoteNet, String psk, String initiation) {
        String peer = peerAddress == null ? "{id: " + peerId + "}"
                : "{id: " + peerId + ", address: " + peerAddress + ", port: " + peerPort + "}";
        return """
                  - name: %s
                    peer: %s
                    local: {id: %s, subnets: [%s]}
                    remote: {subnets: [%s]}
                    auth: {psk: {value: "%s"}}
                    ike: {proposals: [aes256gcm16-prfsha384-ecp384], dpd: {interval: 0s}}
                    esp: {proposals: [aes256gcm16]}
                    initiation: %s
                """.formatted(name, peer, localId, localNet, remoteNet, psk, initiation);
    }
}
