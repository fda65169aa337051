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
    public Ike ike = new Ike();
    /** Optional: where the gateway reports tunnel status (set by the operator). */
    public Kubernetes kubernetes;
    public List<TunnelConfig> tunnels = new ArrayList<>();

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Listen {
        public String address = "0.0.0.0";
        public Integer ikePort = 500;
        public Integer nattPort = 4500;
    }

    /**
     * The admin HTTP server. Loopback by default: /status shows SPIs, addresses and subnets. The operator's pods set
     * 0.0.0.0 so the kubelet and Prometheus reach /healthz, /readyz and /metrics; the gateway still answers /status and
     * actions only from its own host or pod.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Admin {
        public String address = "127.0.0.1";
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

    /** Daemon-wide IKE settings (per-tunnel ones live in the tunnels). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Ike {
        public Dos dos = new Dos();
        /**
         * NAT keepalives (RFC 3948 section 4): a 1-byte UDP 4500 packet to each peer whose SAs carried nothing out for
         * this long, so a NAT or a node's SNAT in front of the gateway keeps its mapping on an idle tunnel; 0s: never.
         */
        @com.fasterxml.jackson.annotation.JsonPropertyDescription("Interval of NAT keepalives to peers over UDP 4500 while nothing else is sent (0s: never); default 20s")
        public String natKeepalive = "20s";
    }

    /**
     * Responder limits against IKE_SA_INIT floods (RFC 7296 section 2.6, RFC 8019). The defaults suit gateways with up
     * to a few thousand peers; a load test from one address needs a higher per-source limit.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Dos {
        @io.fabric8.generator.annotation.Min(0)
        @io.fabric8.generator.annotation.Max(1000000)
        @com.fasterxml.jackson.annotation.JsonPropertyDescription("Half-open IKE SAs from which on every IKE_SA_INIT must carry our cookie (0: always); default 32")
        public Integer cookieThreshold = 32;
        @io.fabric8.generator.annotation.Min(1)
        @io.fabric8.generator.annotation.Max(1000000)
        @com.fasterxml.jackson.annotation.JsonPropertyDescription("Half-open IKE SAs in total; beyond it new IKE_SA_INITs are dropped; default 2048")
        public Integer maxHalfOpen = 2048;
        @io.fabric8.generator.annotation.Min(1)
        @io.fabric8.generator.annotation.Max(1000000)
        @com.fasterxml.jackson.annotation.JsonPropertyDescription("Half-open IKE SAs per peer address, at most maxHalfOpen; default 16")
        public Integer maxHalfOpenPerSource = 16;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Kubernetes {
        public String namespace;
        public String gatewayName;
        /** Lease used for active/standby; omit for a single replica. */
        public String leaseName;
        /**
         * The Secret (in {@link #namespace}) that carries this config under {@code gateway.yaml}, with the certificate
         * files it names beside it. When set, the gateway watches it through the API and applies changes at once; the
         * config file stays the fallback while the API cannot be reached.
         */
        public String configSecret;
    }
}
