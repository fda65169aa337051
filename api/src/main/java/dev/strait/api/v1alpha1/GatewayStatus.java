package dev.strait.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** What the operator reports on an IPsecGateway. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GatewayStatus {
    public List<TunnelStatus.Condition> conditions = new ArrayList<>();
    public Integer tunnels;
    public Long observedGeneration;
    @JsonPropertyDescription("With two replicas: the one that holds the gateway's Lease and carries the tunnels")
    public Active active;
    @JsonPropertyDescription("With two replicas: how often the Lease changed hands (its leaseTransitions)")
    public Integer failovers;
    @JsonPropertyDescription("With two replicas: the last take-over, as the replica that took over measured it")
    public LastFailover lastFailover;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Active {
        @JsonPropertyDescription("The gateway pod that holds the Lease")
        public String pod;
        @JsonPropertyDescription("The node it runs on")
        public String node;
        @JsonPropertyDescription("When it took the Lease")
        public String since;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class LastFailover {
        @JsonPropertyDescription("The previous holder (empty when not known)")
        public String from;
        public String to;
        @JsonPropertyDescription("When the Lease was taken")
        public String at;
        @JsonPropertyDescription("From the previous holder's last Lease renewal until every tunnel was established again")
        public Double seconds;
        @JsonPropertyDescription("released, expired, holder's process is gone, or held under this identity by an earlier process")
        public String reason;
    }
}
