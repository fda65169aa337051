package dev.strait.gateway.kube;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strait.api.v1alpha1.TunnelStatus;

/** Converts the status between the generic resource's map form, JSON trees and the typed model. */
final class StatusJson {
    static final ObjectMapper MAPPER = new ObjectMapper()
            // a newer operator may add status fields this gateway does not know; keep going
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private StatusJson() {
    }

    static TunnelStatus fromObject(Object status) {
        return status == null ? null : MAPPER.convertValue(status, TunnelStatus.class);
    }

    static JsonNode tree(TunnelStatus s) {
        return MAPPER.valueToTree(s);
    }

    static TunnelStatus copy(TunnelStatus s) {
        return MAPPER.convertValue(s, TunnelStatus.class);
    }
}
