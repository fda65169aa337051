package dev.strait.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.strait.e2e.support.Await;
import dev.strait.e2e.support.Commands;
import dev.strait.e2e.support.E2eDirs;
import dev.strait.e2e.support.ExecResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Helm chart against a real Kubernetes 1.20.2 control plane (etcd + kube-apiserver + kube-controller-manager on
 * 127.0.0.1, RBAC on): lint, server-side validation of what it renders, install/upgrade/uninstall, and the operator
 * running with the chart's ServiceAccount token, so the chart's ClusterRole is what the operator really gets.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HelmChartIT {
    static final Path REPO = E2eDirs.module().getParent();
    static final Path CHART = REPO.resolve("helm/strait");
    static final Path EXAMPLES = REPO.resolve("examples");
    static final String NS = "strait-system";
    static final ObjectMapper JSON = new ObjectMapper();
    static final YAMLMapper YAML = new YAMLMapper();

    static ControlPlane cp;
    static Path work;

    @BeforeAll
    static void startControlPlane() {
        work = E2eDirs.work("helm");
        cp = ControlPlane.start(work.resolve("cp"), true);
        cp.kubectl("create", "namespace", NS);
        cp.kubectl("apply", "-f", CHART.resolve("crds").toString());
        cp.kubectl("apply", "-f", write(work.resolve("monitoring-crds.yaml"), ControlPlane.MONITORING_CRDS).toString());
        cp.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s");
    }

    @AfterAll
    static void stopControlPlane() {
        if (cp != null) {
            cp.stop();
        }
    }

    @Test
    @Order(1)
    void chartCrdsAreByteForByteTheGeneratedOnes() throws IOException {
        List<String> generated = names(REPO.resolve("crds"));
        assertEquals(generated, names(CHART.resolve("crds")), "same CRD files in crds/ and helm/strait/crds/");
        assertFalse(generated.isEmpty());
        for (String n : generated) {
            assertArrayEquals(Files.readAllBytes(REPO.resolve("crds").resolve(n)),
                    Files.readAllBytes(CHART.resolve("crds").resolve(n)), n + " differs: copy crds/*.yml to helm/strait/crds/");
        }
    }

    /** Values files the chart is checked with: the defaults and the settings users change most. */
    static Map<String, ObjectNode> scenarios() throws IOException {
        Map<String, ObjectNode> s = new LinkedHashMap<>();
        s.put("defaults", JSON.createObjectNode());
        ObjectNode mon = JSON.createObjectNode();
        ObjectNode metrics = mon.putObject("metrics");
        metrics.putObject("serviceMonitor").put("enabled", true).putObject("labels").put("release", "prometheus");
        metrics.putObject("prometheusRule").put("enabled", true);
        mon.putObject("grafanaDashboard").put("enabled", true);
        s.put("monitoring", mon);
        ObjectNode img = JSON.createObjectNode();
        img.putObject("image").put("repository", "registry.example.com/strait/operator")
                .put("digest", "sha256:" + "ab".repeat(32));
        img.putObject("gateway").putObject("image").put("repository", "registry.example.com/strait/gateway").put("tag", "1.2.3");
        img.put("replicaCount", 2);
        s.put("custom-image", img);
        // the hostNetwork example gateway, managed by the release
        JsonNode hostGw = yamlAsJson(EXAMPLES.resolve("gateway-hostnetwork.yaml"));
        ObjectNode host = JSON.createObjectNode();
        host.putArray("gateways").addObject().put("name", hostGw.path("metadata").path("name").asText())
                .set("spec", hostGw.path("spec"));
        s.put("hostnetwork-gateway", host);
        ObjectNode noAgent = JSON.createObjectNode();
        noAgent.putObject("routeAgent").put("enabled", false).put("mode", "Vxlan");
        s.put("no-route-agent", noAgent);
        ObjectNode podCidrs = JSON.createObjectNode();
        podCidrs.putArray("clusterPodCidrs").add("10.244.0.0/16").add("10.245.0.0/16");
        s.put("cluster-pod-cidrs", podCidrs);
        return s;
    }

    @Test
    @Order(2)
    void lintStrictPassesForEveryScenarioAndTheSchemaRefusesNonsense() throws IOException {
        for (var e : scenarios().entrySet()) {
            Path values = write(work.resolve(e.getKey() + ".values.json"), e.getValue().toPrettyString());
            helm("lint", "--strict", CHART.toString(), "-f", values.toString());
        }
        Path bad = write(work.resolve("bad.values.json"), "{\"replicaCount\": \"two\", \"imagePullPolicy\": 1}");
        ExecResult r = helmResult("lint", "--strict", CHART.toString(), "-f", bad.toString());
        assertFalse(r.ok(), "values.schema.json must refuse a string replicaCount and an unknown key");
        assertTrue((r.stdout() + r.stderr()).contains("replicaCount"), r.describe());
    }

    @Test
    @Order(3)
    void everyScenarioRendersObjectsTheApiServerAccepts() throws IOException {
        for (var e : scenarios().entrySet()) {
            Path values = write(work.resolve(e.getKey() + ".values.json"), e.getValue().toPrettyString());
            String rendered = helm("template", "strait", CHART.toString(), "-n", NS, "--validate",
                    "--kubeconfig", cp.kubeconfig().toString(), "-f", values.toString());
            Path manifest = write(work.resolve(e.getKey() + ".rendered.yaml"), rendered);
            String applied = cp.kubectl("apply", "-n", NS, "--dry-run=server", "-f", manifest.toString());
            List<JsonNode> objects = cp.objectsIn(manifest);
            TreeSet<String> kinds = new TreeSet<>();
            objects.forEach(o -> kinds.add(o.path("kind").asText()));
            assertTrue(kinds.containsAll(List.of("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment")),
                    e.getKey() + ": " + kinds);
            assertEquals(objects.size(), applied.lines().filter(l -> l.contains("(server dry run)")).count(),
                    e.getKey() + ": every object passes server-side validation\n" + applied);
            JsonNode operator = objects.stream().filter(o -> o.path("kind").asText().equals("Deployment")).findFirst().orElseThrow()
                    .path("spec").path("template").path("spec");
            JsonNode container = operator.path("containers").path(0);
            JsonNode sc = container.path("securityContext");
            assertTrue(sc.path("readOnlyRootFilesystem").asBoolean() && !sc.path("allowPrivilegeEscalation").asBoolean(true)
                    && sc.path("capabilities").path("drop").toString().contains("ALL"), e.getKey() + ": " + sc);
            assertTrue(operator.path("securityContext").path("runAsNonRoot").asBoolean(), e.getKey());
            boolean monitoring = e.getKey().equals("monitoring");
            assertEquals(monitoring, kinds.contains("ServiceMonitor"), e.getKey() + ": ServiceMonitor only when enabled");
            assertEquals(monitoring, kinds.contains("PrometheusRule"), e.getKey());
            assertEquals(monitoring, kinds.contains("PodMonitor"), e.getKey());
            assertEquals(!e.getKey().equals("no-route-agent"), kinds.contains("DaemonSet"),
                    e.getKey() + ": the route agent is on by default");
            switch (e.getKey()) {
                case "defaults" -> {
                    assertTrue(container.path("args").toString().contains("--gateway-image=ghcr.io/strait-dev/strait-gateway:"),
                            container.path("args").toString());
                    assertFalse(kinds.contains("ConfigMap"));
                    assertTrue(container.path("args").toString().contains("--route-agent-namespace=" + NS),
                            "the operator watches the agents for RoutesReady: " + container.path("args"));
                    assertFalse(container.path("args").toString().contains("--cluster-pod-cidrs"),
                            "the Nodes' podCIDRs unless the chart names others");
                    JsonNode agent = objects.stream().filter(o -> o.path("kind").asText().equals("DaemonSet")).findFirst()
                            .orElseThrow().path("spec").path("template").path("spec");
                    assertTrue(agent.path("hostNetwork").asBoolean(), "the agent routes in the node's namespace");
                    JsonNode ac = agent.path("containers").path(0);
                    assertEquals("route-agent", ac.path("args").path(0).asText());
                    assertTrue(ac.path("image").asText().startsWith("ghcr.io/strait-dev/strait-gateway:"), ac.toString());
                    assertEquals("[\"NET_ADMIN\",\"NET_RAW\"]", ac.path("securityContext").path("capabilities").path("add").toString());
                    assertEquals("[\"ALL\"]", ac.path("securityContext").path("capabilities").path("drop").toString());
                    assertFalse(ac.path("securityContext").path("allowPrivilegeEscalation").asBoolean(true));
                    assertFalse(ac.path("securityContext").has("privileged"), "no privileged container");
                }
                case "cluster-pod-cidrs" -> {
                    String arg = "--cluster-pod-cidrs=10.244.0.0/16,10.245.0.0/16";
                    assertTrue(container.path("args").toString().contains(arg), "the operator: " + container.path("args"));
                    JsonNode agent = objects.stream().filter(o -> o.path("kind").asText().equals("DaemonSet")).findFirst()
                            .orElseThrow().path("spec").path("template").path("spec").path("containers").path(0);
                    assertTrue(agent.path("args").toString().contains(arg), "the route agent: " + agent.path("args"));
                }
                case "no-route-agent" -> {
                    assertFalse(kinds.contains("Role"), "no Role for the agents' pods without agents: " + kinds);
                    assertFalse(container.path("args").toString().contains("--route-agent-namespace"),
                            container.path("args").toString());
                }
                case "monitoring" -> {
                    JsonNode cm = objects.stream().filter(o -> o.path("kind").asText().equals("ConfigMap")).findFirst().orElseThrow();
                    JsonNode dashboard = JSON.readTree(cm.path("data").path("strait.json").asText());
                    assertTrue(dashboard.path("panels").size() >= 5, "the dashboard JSON parses and has panels");
                    JsonNode rule = objects.stream().filter(o -> o.path("kind").asText().equals("PrometheusRule")).findFirst().orElseThrow();
                    String alerts = rule.path("spec").toString();
                    for (String a : List.of("StraitTunnelDown", "StraitIkeAuthFailures", "StraitPskMismatch",
                            "StraitEspDropsRising", "StraitRekeyFailing")) {
                        assertTrue(alerts.contains(a), a);
                    }
                }
                case "custom-image" -> {
                    assertEquals("registry.example.com/strait/operator@sha256:" + "ab".repeat(32), container.path("image").asText());
                    assertTrue(container.path("args").toString().contains("--gateway-image=registry.example.com/strait/gateway:1.2.3"));
                }
                case "hostnetwork-gateway" -> {
                    JsonNode gw = objects.stream().filter(o -> o.path("kind").asText().equals("IPsecGateway")).findFirst().orElseThrow();
                    assertTrue(gw.path("spec").path("hostNetwork").asBoolean(), gw.toString());
                    assertEquals("None", gw.path("spec").path("service").path("type").asText());
                }
                default -> throw new AssertionError(e.getKey());
            }
        }
    }

    @Test
    @Order(4)
    void installedOperatorReconcilesEveryExampleWithTheChartsRbacThenUpgradeAndUninstall() throws Exception {
        String notes = helm("install", "strait", CHART.toString(), "-n", NS, "--kubeconfig", cp.kubeconfig().toString());
        assertTrue(notes.contains("kubectl get ipsectunnel"), "NOTES.txt tells what to do next:\n" + notes);
        assertEquals("1", cp.kubectl("get", "deployment", "strait", "-n", NS, "-o", "jsonpath={.spec.replicas}"));

        // The operator outside the cluster, authenticated as the chart's ServiceAccount (token from the controller manager).
        Path saKubeconfig = cp.serviceAccountKubeconfig(NS, "strait", work.resolve("operator.kubeconfig"));
        int metricsPort = freePort();
        Process operator = startOperator(saKubeconfig, metricsPort, work.resolve("operator.log"),
                "--leader-election", "--lease-namespace", NS, "--route-agent-namespace", NS);
        try {
            cp.kubectl("create", "namespace", "examples");
            cp.kubectl("apply", "-n", "examples", "-f", EXAMPLES.toString());
            List<String> tunnels = new ArrayList<>();
            List<String> gateways = new ArrayList<>();
            try (Stream<Path> files = Files.list(EXAMPLES)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                    for (JsonNode o : cp.objectsIn(f)) {
                        String kind = o.path("kind").asText();
                        String name = o.path("metadata").path("name").asText();
                        if (kind.equals("IPsecTunnel")) {
                            tunnels.add(name);
                        } else if (kind.equals("IPsecGateway")) {
                            gateways.add(name);
                        }
                    }
                }
            }
            assertTrue(tunnels.size() >= 4 && gateways.size() >= 2, tunnels + " " + gateways);
            for (String t : tunnels) {
                JsonNode cond = await(() -> {
                    JsonNode c = configValid(cp.json("get", "ipsectunnel", t, "-n", "examples"));
                    return c != null && c.path("status").asText().equals("True") ? c : null;
                }, Duration.ofSeconds(60), "IPsecTunnel " + t + " has ConfigValid=True; operator log: " + work.resolve("operator.log"));
                assertEquals("Valid", cond.path("reason").asText());
            }
            for (String g : gateways) {
                // The operator could create the gateway's Role: the chart gave it every permission the Role grants.
                await(() -> cp.result("get", "deployment/" + g, "role/" + g + "-gateway", "rolebinding/" + g + "-gateway",
                        "serviceaccount/" + g + "-gateway", "secret/" + g + "-config", "-n", "examples").ok() ? true : null,
                        Duration.ofSeconds(30), "gateway " + g + " has its Deployment, Role, RoleBinding, ServiceAccount, config Secret");
            }
            String log = Files.readString(work.resolve("operator.log"));
            assertFalse(log.toLowerCase().contains("forbidden"), "the chart's RBAC lacks a permission:\n" + log);
            String metrics = httpGet("http://127.0.0.1:" + metricsPort + "/metrics");
            assertTrue(metrics.contains("strait_tunnels{phase=\"Pending\"} " + tunnels.size()), metrics);
        } finally {
            stop(operator);
        }

        // RoutesReady: the operator lists nodes and the agent pods. It reads pods everywhere because it grants that
        // to each gateway's Role (a standby reads its peer replica's pod status), and RBAC lets nobody grant more
        // than they hold; it changes no pod.
        String operatorSa = "system:serviceaccount:" + NS + ":strait";
        for (String allowed : List.of("watch nodes", "list pods -n " + NS, "watch pods -n examples")) {
            assertEquals("yes", cp.result(canI(operatorSa, allowed)).stdout().strip(), operatorSa + " may " + allowed);
        }
        for (String denied : List.of("delete pods -n examples", "get nodes", "delete pods -n " + NS,
                "create pods -n examples")) {
            assertEquals("no", cp.result(canI(operatorSa, denied)).stdout().strip(), operatorSa + " may not " + denied);
        }

        // The route agent only reads: what it routes and where to, and (for uninstall) its own DaemonSet.
        String agentSa = "system:serviceaccount:" + NS + ":strait-route-agent";
        for (String allowed : List.of("list ipsectunnels.strait.dev -A", "watch leases.coordination.k8s.io -A",
                "list pods -A", "watch nodes", "get daemonsets.apps/strait-route-agent -n " + NS)) {
            assertEquals("yes", cp.result(canI(agentSa, allowed)).stdout().strip(), agentSa + " may " + allowed);
        }
        for (String denied : List.of("patch ipsectunnels.strait.dev -A", "get secrets -A", "update leases.coordination.k8s.io -A",
                "delete pods -A", "get daemonsets.apps/other -n " + NS)) {
            assertEquals("no", cp.result(canI(agentSa, denied)).stdout().strip(), agentSa + " may not " + denied);
        }

        helm("upgrade", "strait", CHART.toString(), "-n", NS, "--kubeconfig", cp.kubeconfig().toString(),
                "--set", "replicaCount=2", "--set", "gateway.image.tag=9.9.9");
        assertEquals("2", cp.kubectl("get", "deployment", "strait", "-n", NS, "-o", "jsonpath={.spec.replicas}"));
        assertTrue(cp.kubectl("get", "deployment", "strait", "-n", NS, "-o", "jsonpath={.spec.template.spec.containers[0].args}")
                .contains("--gateway-image=ghcr.io/strait-dev/strait-gateway:9.9.9"));
        assertTrue(helm("history", "strait", "-n", NS, "--kubeconfig", cp.kubeconfig().toString()).contains("Upgrade complete"));

        helm("uninstall", "strait", "-n", NS, "--kubeconfig", cp.kubeconfig().toString());
        assertFalse(cp.result("get", "deployment", "strait", "-n", NS).ok(), "the Deployment is gone");
        assertFalse(cp.result("get", "clusterrole", "strait").ok(), "the ClusterRole is gone");
        assertFalse(cp.result("get", "daemonset", "strait-route-agent", "-n", NS).ok(), "the route agent is gone");
        assertTrue(cp.result("get", "crd", "ipsectunnels.strait.dev").ok(), "Helm keeps CRDs (and so the users' tunnels)");
    }

    // ------------------------------------------------------------------ helpers

    private static String[] canI(String as, String what) {
        List<String> argv = new ArrayList<>(List.of("auth", "can-i", "--as", as));
        argv.addAll(List.of(what.split(" ")));
        return argv.toArray(String[]::new);
    }

    static JsonNode configValid(JsonNode tunnel) {
        for (JsonNode c : tunnel.path("status").path("conditions")) {
            if (c.path("type").asText().equals("ConfigValid")) {
                return c;
            }
        }
        return null;
    }

    static Process startOperator(Path kubeconfig, int metricsPort, Path log, String... extra) throws IOException {
        String jar = System.getProperty("strait.operator.jar", REPO.resolve("operator/target/strait-operator.jar").toString());
        assertTrue(Files.isRegularFile(Path.of(jar)), jar + " is missing: build the operator module first");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar, "--metrics-address", "127.0.0.1", "--metrics-port", Integer.toString(metricsPort)));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        pb.environment().remove("KUBERNETES_SERVICE_HOST");
        return pb.start();
    }

    static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static String httpGet(String url) throws IOException, InterruptedException {
        try (HttpClient c = HttpClient.newHttpClient()) {
            HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), url);
            return r.body();
        }
    }

    /** {@link Await#await} under the name MetricsReferenceIT imports from here. */
    static <T> T await(Await.Probe<T> probe, Duration timeout, String what) {
        return Await.await(probe, timeout, what);
    }

    static String helm(String... args) {
        return helmResult(args).orThrow().stdout();
    }

    static ExecResult helmResult(String... args) {
        List<String> cmd = new ArrayList<>(List.of(E2eDirs.bin().resolve("helm.sh").toString()));
        cmd.addAll(List.of(args));
        return Commands.run(Duration.ofMinutes(3), cmd);
    }

    static Path write(Path p, String text) {
        try {
            return Files.writeString(p, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first document of a YAML file. */
    static JsonNode yamlAsJson(Path yaml) {
        return documents(yaml).getFirst();
    }

    /** Every non-empty document of a (multi-document) YAML file. */
    static List<JsonNode> documents(Path yaml) {
        try (var parser = YAML.getFactory().createParser(yaml.toFile())) {
            List<JsonNode> out = new ArrayList<>();
            YAML.readValues(parser, JsonNode.class).forEachRemaining(n -> {
                if (n != null && !n.isNull() && !n.isMissingNode() && !n.isEmpty()) {
                    out.add(n);
                }
            });
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A control plane from e2e/bin/k8s-control-plane.sh and kubectl against it. */
    record ControlPlane(Path state, Path kubeconfig) {
        /** Stand-ins for the Prometheus Operator's CRDs (no schema): enough for the API server to accept the kinds. */
        static final String MONITORING_CRDS = Stream.of("ServiceMonitor", "PodMonitor", "PrometheusRule").map(kind -> """
                apiVersion: apiextensions.k8s.io/v1
                kind: CustomResourceDefinition
                metadata:
                  name: %1$ss.monitoring.coreos.com
                spec:
                  group: monitoring.coreos.com
                  names: {kind: %2$s, plural: %1$ss, singular: %1$s, listKind: %2$sList}
                  scope: Namespaced
                  versions:
                  - name: v1
                    served: true
                    storage: true
                    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
                """.formatted(kind.toLowerCase(), kind)).reduce((a, b) -> a + "---\n" + b).orElseThrow();

        static ControlPlane start(Path state, boolean withControllerManager) {
            List<String> cmd = new ArrayList<>(List.of(E2eDirs.bin().resolve("k8s-control-plane.sh").toString(), "start",
                    state.toString()));
            if (withControllerManager) {
                cmd.add("--with-controller-manager");
            }
            ExecResult r = Commands.run(Duration.ofMinutes(12), cmd).orThrow();
            return new ControlPlane(state, Path.of(r.stdout().strip()));
        }

        void stop() {
            Commands.run(Duration.ofMinutes(1), List.of(E2eDirs.bin().resolve("k8s-control-plane.sh").toString(), "stop",
                    state.toString()));
        }

        ExecResult result(String... args) {
            List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
            cmd.addAll(List.of(args));
            return Commands.run(Duration.ofMinutes(2), cmd);
        }

        String kubectl(String... args) {
            return result(args).orThrow().stdout().strip();
        }

        JsonNode json(String... args) {
            List<String> a = new ArrayList<>(List.of(args));
            a.addAll(List.of("-o", "json"));
            try {
                return JSON.readTree(kubectl(a.toArray(String[]::new)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        List<JsonNode> objectsIn(Path manifest) {
            return documents(manifest);
        }

        /** A kubeconfig that authenticates with the token of ServiceAccount ns/name (its token Secret). */
        Path serviceAccountKubeconfig(String ns, String name, Path out) {
            String token = await(() -> {
                for (JsonNode s : json("get", "secrets", "-n", ns).path("items")) {
                    if (s.path("type").asText().equals("kubernetes.io/service-account-token")
                            && name.equals(s.path("metadata").path("annotations").path("kubernetes.io/service-account.name").asText())
                            && s.path("data").has("token")) {
                        return new String(Base64.getDecoder().decode(s.path("data").path("token").asText()));
                    }
                }
                return null;
            }, Duration.ofSeconds(30), "the controller manager made a token for ServiceAccount " + ns + "/" + name);
            String server = kubectl("config", "view", "-o", "jsonpath={.clusters[0].cluster.server}");
            String yaml = """
                    apiVersion: v1
                    kind: Config
                    clusters: [{name: cp, cluster: {server: "%s", certificate-authority: "%s"}}]
                    users: [{name: sa, user: {token: "%s"}}]
                    contexts: [{name: cp, context: {cluster: cp, user: sa, namespace: "%s"}}]
                    current-context: cp
                    """.formatted(server, state.resolve("ca.crt"), token, ns);
            write(out, yaml);
            try {
                Files.setPosixFilePermissions(out, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out;
        }
    }
}
