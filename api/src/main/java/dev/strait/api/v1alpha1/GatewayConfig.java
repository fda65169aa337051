package dev.strait.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway daemon's YAML file. The operator renders one of these per IPsecGateway into the config Secret;
 * a standalone gateway reads a hand-written one.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GatewayConfig {
    public Listen listen = new Listen();
    public Admin admin = new Admin();
    public Datapath datapath = new Datapath();
    /** Optional: where the gateway reports tunnel status (set by the operator). */
    public Kubernetes kubernetes;
    public List<TunnelConfig> tunnels = new ArrayList<>();

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Listen {
        public String address = "0.0.0.0";
        public Integer ikePort = 500;
        public Integer nattPort = 4500;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Admin {
        public String address = "0.0.0.0";
        public Integer port = 9090;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Datapath {
        /** Userspace (TUN + userspace ESP) or None (IKE only: no packets are carried). */
        public String mode = "Userspace";
        public String tunName = "strait0";
        /** Default: derived from the path MTU minus the ESP/UDP overhead. */
        public Integer mtu;
        /** Path MTU towards peers, used to derive the tunnel MTU and IKE fragment size. */
        public Integer pathMtu = 1500;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Kubernetes {
        public String namespace;
        public String gatewayName;
        /** Lease used for active/standby; omit for a single replica. */
        public String leaseName;
    }
}
