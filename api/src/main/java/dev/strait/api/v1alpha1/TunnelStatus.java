package dev.strait.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/** What the gateway (and the operator, for ConfigValid) reports on an IPsecTunnel. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TunnelStatus {
    /** Pending | Connecting | Established | Degraded | Failed */
    public String phase;
    public List<Condition> conditions = new ArrayList<>();
    public IkeStatus ike;
    public List<ChildStatus> children = new ArrayList<>();
    public Long observedGeneration;
    public String lastError;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Condition {
        public String type;
        public String status;
        public String reason;
        public String message;
        public String lastTransitionTime;
        public Long observedGeneration;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class IkeStatus {
        public String state;
        public String proposal;
        public String localAddress;
        public String remoteAddress;
        public Boolean natDetected;
        public String establishedAt;
        public String rekeyAt;
        public String spiInitiator;
        public String spiResponder;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ChildStatus {
        public List<String> localSubnets;
        public List<String> remoteSubnets;
        public String proposal;
        public String spiIn;
        public String spiOut;
        public Long bytesIn;
        public Long bytesOut;
        public Long packetsIn;
        public Long packetsOut;
        public String establishedAt;
    }
}
