package dev.strait.operator.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The objects the operator made for a gateway, as the API server stores them, minus what the server assigns (UIDs,
 * versions, timestamps, managed fields, node ports, cluster IPs) and with the test's namespace and the UID-keyed config
 * hash replaced by placeholders: equal snapshots mean the operator applied the same manifests.
 */
final class ManifestSnapshot {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private ManifestSnapshot() {
    }

    static String of(String namespace, List<? extends HasMetadata> objects) {
        Map<String, JsonNode> byKindAndName = new TreeMap<>();
        for (HasMetadata o : objects) {
            ObjectNode n = JSON.valueToTree(o);
            ObjectNode meta = (ObjectNode) n.get("metadata");
            for (String f : List.of("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation",
                    "selfLink")) {
                meta.remove(f);
            }
            if (meta.get("ownerReferences") instanceof ArrayNode refs) {
                refs.forEach(r -> ((ObjectNode) r).put("uid", "UID"));
            }
            n.remove("status");
            if (n.get("data") instanceof ObjectNode data && "Secret".equals(o.getKind())) {
                // decoded, so that the rendered YAML reads (and its namespace is replaced) in the snapshot
                data.properties().forEach(e -> e.setValue(JSON.getNodeFactory().textNode(new String(
                        java.util.Base64.getDecoder().decode(e.getValue().asText()),
                        java.nio.charset.StandardCharsets.UTF_8))));
            }
            if (n.get("spec") instanceof ObjectNode spec) {
                spec.remove(List.of("clusterIP", "clusterIPs"));
                if (spec.get("ports") instanceof ArrayNode ports) {
                    ports.forEach(p -> ((ObjectNode) p).remove("nodePort"));
                }
                if (spec.at("/template/metadata/annotations") instanceof ObjectNode a && a.has("strait.dev/config-hash")) {
                    a.put("strait.dev/config-hash", "HASH");
                }
            }
            byKindAndName.put(o.getKind() + "/" + o.getMetadata().getName(), sorted(n));
        }
        try {
            return JSON.writeValueAsString(byKindAndName).replace(namespace, "NS") + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Object keys in order, so that the text does not depend on the order the server wrote them in. */
    private static JsonNode sorted(JsonNode n) {
        try {
            return JSON.readTree(JSON.writeValueAsString(JSON.treeToValue(n, Object.class)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
