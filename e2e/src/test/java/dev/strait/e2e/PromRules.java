package dev.strait.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.strait.e2e.support.Commands;
import dev.strait.e2e.support.E2eDirs;
import dev.strait.e2e.support.ExecResult;
import dev.strait.e2e.support.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chart's PrometheusRule run by promtool (Debian's prometheus package) over metrics scraped from the cluster:
 * each scraped sample becomes a constant input series, with the namespace label that a PodMonitor target adds.
 */
final class PromRules {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{.*\\})? (\\S+)(?: \\d+)?$");
    private static final Pattern METRIC = Pattern.compile("\\bstrait_[a-z_]+\\b");
    private static final String NAMESPACE = "strait-e2e";

    private final ArrayNode groups;

    private PromRules(ArrayNode groups) {
        this.groups = groups;
    }

    /** The groups of helm/strait's PrometheusRule, rendered with the chart's defaults. */
    static PromRules fromChart(LocalCluster cluster) throws IOException {
        ExecResult r = cluster.helm(Duration.ofMinutes(1), "template", "strait",
                E2eDirs.module().resolveSibling("helm").resolve("strait").toString(),
                "--set", "metrics.prometheusRule.enabled=true", "--show-only", "templates/prometheusrule.yaml").orThrow();
        return new PromRules((ArrayNode) YAML.readTree(r.stdout()).path("spec").path("groups"));
    }

    /**
     * Runs promtool test rules: the scrape held for 40 minutes, evaluated at 30 minutes (past every rule's "for"),
     * expecting StraitTunnelDown for exactly the tunnels in {@code down} and no other alert. Also checks that every
     * metric the rules name is scraped or documented, so a renamed metric cannot leave a rule silently empty.
     */
    ExecResult test(Path dir, String scrape, List<String> down) throws IOException {
        Files.createDirectories(dir);
        Set<String> scraped = new LinkedHashSet<>();
        ArrayNode series = YAML.createArrayNode();
        for (String line : scrape.split("\n")) {
            Matcher m = SAMPLE.matcher(line.strip());
            if (line.startsWith("#") || !m.matches() || !isFinite(m.group(3))) {
                continue;
            }
            String name = m.group(1);
            scraped.add(name);
            String labels = m.group(2) == null ? "{}" : m.group(2);
            if (!labels.contains("namespace=\"")) {
                labels = "{namespace=\"" + NAMESPACE + "\"" + (labels.equals("{}") ? "}" : "," + labels.substring(1));
            }
            ObjectNode s = series.addObject();
            s.put("series", name + labels);
            s.put("values", m.group(3) + "+0x40");
        }
        // Counters of events (auth failures, DPD timeouts) appear only once they happen: those must at least be
        // documented metrics, which MetricsReferenceIT ties to what the gateway really exports.
        String documented = Files.readString(E2eDirs.module().resolveSibling("docs").resolve("metrics.md"));
        for (JsonNode g : groups) {
            for (JsonNode rule : g.path("rules")) {
                Matcher m = METRIC.matcher(rule.path("expr").asText());
                while (m.find()) {
                    String metric = m.group();
                    assertTrue(scraped.contains(metric) || scraped.stream().anyMatch(x -> x.startsWith(metric + "_"))
                                    || documented.contains("`" + metric),
                            "rule " + rule.path("alert").asText() + " uses " + metric
                                    + ", which is neither in the scrape nor in docs/metrics.md");
                }
            }
        }
        ObjectNode rulesFile = YAML.createObjectNode();
        rulesFile.set("groups", groups);
        YAML.writeValue(dir.resolve("rules.yaml").toFile(), rulesFile);

        ObjectNode test = YAML.createObjectNode();
        test.put("interval", "1m");
        test.set("input_series", series);
        ArrayNode alerts = test.putArray("alert_rule_test");
        for (JsonNode g : groups) {
            for (JsonNode rule : g.path("rules")) {
                String alert = rule.path("alert").asText();
                ObjectNode check = alerts.addObject();
                check.put("eval_time", "30m");
                check.put("alertname", alert);
                ArrayNode expected = check.putArray("exp_alerts");
                if (alert.equals("StraitTunnelDown")) {
                    for (String tunnel : down) {
                        ObjectNode a = expected.addObject();
                        ObjectNode labels = a.putObject("exp_labels");
                        labels.put("severity", rule.path("labels").path("severity").asText());
                        labels.put("namespace", NAMESPACE);
                        labels.put("gateway", gatewayLabel(scrape));
                        labels.put("tunnel", tunnel);
                        ObjectNode annotations = a.putObject("exp_annotations");
                        rule.path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asText()
                                .replace("{{ $labels.tunnel }}", tunnel).replace("{{ $labels.gateway }}", gatewayLabel(scrape))));
                    }
                }
            }
        }
        ObjectNode file = YAML.createObjectNode();
        file.putArray("rule_files").add("rules.yaml");
        file.put("evaluation_interval", "1m");
        file.putArray("tests").add(test);
        YAML.writeValue(dir.resolve("test.yaml").toFile(), file);
        List<String> cmd = new ArrayList<>(List.of("promtool", "test", "rules", dir.resolve("test.yaml").toString()));
        return Commands.run(Duration.ofMinutes(2), cmd);
    }

    private static String gatewayLabel(String scrape) {
        Matcher m = Pattern.compile("strait_tunnel_up\\{[^}]*gateway=\"([^\"]+)\"").matcher(scrape);
        return m.find() ? m.group(1) : "";
    }

    private static boolean isFinite(String v) {
        try {
            return Double.isFinite(Double.parseDouble(v));
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
