package dev.strait.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Map;

/** Where and how a gateway's pods run (the IPsecGateway resource). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GatewaySpec {
    @io.fabric8.generator.annotation.Min(1)
    @io.fabric8.generator.annotation.Max(2)
    @JsonPropertyDescription("1, or 2 for active/standby with a leader lease")
    public Integer replicas = 1;
    @JsonPropertyDescription("Gateway image; default from the operator's settings")
    public String image;
    public Map<String, String> nodeSelector;
    @JsonPropertyDescription("Tolerations of the gateway pods (as in a PodSpec)")
    public List<Toleration> tolerations;
    @JsonPropertyDescription("Resource requests and limits of the gateway container")
    public Resources resources;
    @JsonPropertyDescription("Run the gateway in the node's network namespace")
    public Boolean hostNetwork = Boolean.FALSE;
    public Service service = new Service();
    public Datapath datapath = new Datapath();
    @JsonPropertyDescription("Gateway-wide IKE settings")
    public Ike ike;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Ike {
        @JsonPropertyDescription("Limits against IKE_SA_INIT floods (RFC 7296 2.6, RFC 8019): cookies and half-open IKE SA caps")
        public GatewayConfig.Dos dos;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Service {
        @JsonPropertyDescription("LoadBalancer, NodePort or None (None with hostNetwork)")
        public ServiceType type = ServiceType.LoadBalancer;
    }

    public enum ServiceType { LoadBalancer, NodePort, None }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Datapath {
        public DatapathMode mode = DatapathMode.Userspace;
        @io.fabric8.generator.annotation.Min(576)
        @io.fabric8.generator.annotation.Max(9000)
        @JsonPropertyDescription("MTU of the tunnel device; default derived from the path MTU minus ESP overhead")
        public Integer mtu;
    }

    public enum DatapathMode { Userspace }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Toleration {
        public String key;
        public TolerationOperator operator;
        public String value;
        public TolerationEffect effect;
        public Long tolerationSeconds;
    }

    /** Quantities as strings ("500m", "1", "128Mi"), as in a container spec. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Resources {
        @JsonPropertyDescription("e.g. {cpu: \"100m\", memory: \"128Mi\"}")
        public Map<String, String> requests;
        @JsonPropertyDescription("e.g. {memory: \"256Mi\"}")
        public Map<String, String> limits;
    }

    public enum TolerationOperator { Exists, Equal }

    public enum TolerationEffect { NoSchedule, PreferNoSchedule, NoExecute }
}
