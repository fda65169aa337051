package dev.strait.operator.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.GatewaySpec;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.operator.crd.IPsecGateway;
import dev.strait.operator.resources.GatewayResources;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.List;

/** Renders the gateway daemon's YAML (a GatewayConfig) for one IPsecGateway and its accepted tunnels. */
public final class ConfigRenderer {
    static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    public static final String LEADER_LEASE_SUFFIX = "-leader";
    /** The gateway pod listens for IKE on all IPv4 addresses (the model's default), so peers must be IPv4. */
    public static final String LISTEN_ADDRESS = new GatewayConfig.Listen().address;
    /**
     * The pod's admin server listens on every address so the kubelet's probes and Prometheus reach /healthz, /readyz
     * and /metrics on the pod IP; the gateway answers /status and actions only from inside the pod (loopback).
     */
    public static final String ADMIN_ADDRESS = "0.0.0.0";

    private ConfigRenderer() {
    }

    public static ObjectMapper yaml() {
        return MAPPER;
    }

    public static GatewayConfig config(IPsecGateway gateway, List<TunnelConfig> tunnels) {
        GatewaySpec spec = gateway.getSpec() == null ? new GatewaySpec() : gateway.getSpec();
        GatewayConfig c = new GatewayConfig();
        c.listen.address = LISTEN_ADDRESS;
        c.admin.address = ADMIN_ADDRESS;
        if (spec.datapath != null) {
            c.datapath.mode = spec.datapath.mode == null ? "Userspace" : spec.datapath.mode.name();
            c.datapath.mtu = spec.datapath.mtu;
        }
        if (spec.ike != null && spec.ike.dos != null) {
            c.ike.dos = spec.ike.dos; // checked by the reconciler (ConfigValidator.dos) before rendering
        }
        c.kubernetes = new GatewayConfig.Kubernetes();
        c.kubernetes.namespace = gateway.getMetadata().getNamespace();
        c.kubernetes.gatewayName = gateway.getMetadata().getName();
        // The gateway follows this Secret through the API: tunnel changes apply within seconds, without a restart.
        c.kubernetes.configSecret = GatewayResources.configSecretName(gateway.getMetadata().getName());
        if (replicas(spec) > 1) {
            c.kubernetes.leaseName = gateway.getMetadata().getName() + LEADER_LEASE_SUFFIX;
        }
        // Sorted, so the same tunnels always give the same bytes (no Secret update when nothing changed).
        c.tunnels = tunnels.stream().sorted(Comparator.comparing(t -> t.name)).toList();
        return c;
    }

    /**
     * The settings a gateway reads only at start (everything but the tunnels), rendered: what the pod template's
     * hash covers. Tunnels, PSKs and certificates reach running pods through the config Secret.
     */
    public static String startSettingsYaml(IPsecGateway gateway) {
        return yaml(config(gateway, List.of()));
    }

    public static String yaml(GatewayConfig c) {
        try {
            return MAPPER.writeValueAsString(c);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException("cannot render the gateway config", e);
        }
    }

    public static int replicas(GatewaySpec spec) {
        return spec.replicas == null ? 1 : spec.replicas;
    }
}
