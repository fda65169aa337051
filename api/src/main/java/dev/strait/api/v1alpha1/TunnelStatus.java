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
    /** The gateway pod (active replica) that wrote the runtime part of this status. */
    public String reportedBy;

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
        /** initiator | responder */
        public String role;
        public Boolean udpEncapsulation;
        /** Round trip of the last liveness check answered without retransmission, in milliseconds (µs precision). */
        public Double rttMillis;
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
        /** Dropped inbound packets by reason (replay, auth, ...). */
        public java.util.Map<String, Long> drops;
        public String establishedAt;
    }
}
