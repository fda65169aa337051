package dev.strait.operator.resources;

import dev.strait.api.v1alpha1.GatewaySpec;
import dev.strait.operator.config.ConfigRenderer;
import dev.strait.operator.crd.IPsecGateway;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.PodAffinityTermBuilder;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategyBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The Kubernetes objects that run one IPsecGateway; pure functions of the gateway (and its rendered config). */
public final class GatewayResources {
    public static final String CONFIG_KEY = "gateway.yaml";
    public static final String CONFIG_DIR = "/etc/strait";
    /** The TUN clone device: a CRI runtime creates none in a non-privileged container, so it comes from the node. */
    public static final String TUN_DEVICE = "/dev/net/tun";
    /**
     * Least privilege that runs the gateway as root with every other capability dropped: NET_ADMIN configures its TUN
     * device (TUNSETIFF, addresses, routes); NET_BIND_SERVICE binds UDP 500 (container runtimes before containerd 2.0
     * leave net.ipv4.ip_unprivileged_port_start at 1024, and Kubernetes 1.20 does not treat it as a safe sysctl).
     */
    public static final List<String> CAPABILITIES = List.of("NET_ADMIN", "NET_BIND_SERVICE");
    public static final String CONFIG_HASH_ANNOTATION = "strait.dev/config-hash";
    public static final String GATEWAY_LABEL = "strait.dev/gateway";
    public static final String COMPONENT_LABEL = "app.kubernetes.io/component";
    public static final int ADMIN_PORT = 9090;
    public static final int IKE_PORT = 500;
    public static final int NATT_PORT = 4500;

    private GatewayResources() {
    }

    public static String configSecretName(String gateway) {
        return gateway + "-config";
    }

    public static String serviceAccountName(String gateway) {
        return gateway + "-gateway";
    }

    public static Map<String, String> selectorLabels(IPsecGateway gw) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("app.kubernetes.io/name", "strait-gateway");
        m.put("app.kubernetes.io/instance", gw.getMetadata().getName());
        m.put(GATEWAY_LABEL, gw.getMetadata().getName());
        return m;
    }

    private static Map<String, String> labels(IPsecGateway gw) {
        Map<String, String> m = new LinkedHashMap<>(selectorLabels(gw));
        m.put("app.kubernetes.io/managed-by", "strait-operator");
        m.put(COMPONENT_LABEL, "gateway");
        return m;
    }

    private static ObjectMeta meta(IPsecGateway gw, String name) {
        return new ObjectMetaBuilder().withName(name).withNamespace(gw.getMetadata().getNamespace())
                .withLabels(labels(gw)).withOwnerReferences(owner(gw)).build();
    }

    public static OwnerReference owner(IPsecGateway gw) {
        return new OwnerReferenceBuilder().withApiVersion(HasMetadata.getApiVersion(IPsecGateway.class))
                .withKind(HasMetadata.getKind(IPsecGateway.class)).withName(gw.getMetadata().getName())
                .withUid(gw.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true).build();
    }

    /** The config Secret; the YAML holds PSKs inline, which is why it is a Secret and mounted read-only. */
    public static Secret configSecret(IPsecGateway gw, String yaml, List<String> tunnelNames) {
        return configSecret(gw, yaml, tunnelNames, Map.of());
    }

    /**
     * With certificate tunnels: files holds their PEMs (name -> content), beside gateway.yaml. Like the tunnels they
     * are not part of {@link #configHash}: the gateway reads them with the config through the API, without a restart.
     */
    public static Secret configSecret(IPsecGateway gw, String yaml, List<String> tunnelNames, Map<String, String> files) {
        ObjectMeta m = meta(gw, configSecretName(gw.getMetadata().getName()));
        m.setAnnotations(Map.of("strait.dev/tunnels", String.join(",", tunnelNames)));
        Map<String, String> data = new java.util.TreeMap<>();
        files.forEach((k, v) -> data.put(k, java.util.Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        data.put(CONFIG_KEY, java.util.Base64.getEncoder().encodeToString(yaml.getBytes(StandardCharsets.UTF_8)));
        return new SecretBuilder().withMetadata(m).withType("Opaque")
                .withStringData(null)
                .withData(data)
                .build();
    }

    /**
     * The pod template's hash: it rolls the pods when it changes, so it covers only what a gateway reads at start
     * ({@link ConfigRenderer#startSettingsYaml}: listen ports, datapath, IKE DoS limits, lease); the image and the
     * rest of the pod spec are in the template themselves. Tunnels, PSKs and certificates are not part of it: the
     * gateway follows its config Secret through the API and applies them in place. An HMAC keyed with the config
     * Secret's UID, so that a PSK that ever found its way into these settings could not be tested offline by anyone
     * who may read Deployments.
     */
    public static String configHash(String secretUid, String startSettingsYaml) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secretUid.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(startSettingsYaml.getBytes(StandardCharsets.UTF_8)), 0, 16);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    public static Deployment deployment(IPsecGateway gw, String defaultImage, String configHash) {
        GatewaySpec spec = gw.getSpec() == null ? new GatewaySpec() : gw.getSpec();
        String name = gw.getMetadata().getName();
        boolean hostNetwork = Boolean.TRUE.equals(spec.hostNetwork);
        Container c = new ContainerBuilder()
                .withName("gateway")
                .withImage(spec.image != null ? spec.image : defaultImage)
                .withArgs("run", "--config", CONFIG_DIR + "/" + CONFIG_KEY)
                .addNewPort().withName("ike").withContainerPort(IKE_PORT).withProtocol("UDP").endPort()
                .addNewPort().withName("natt").withContainerPort(NATT_PORT).withProtocol("UDP").endPort()
                .addNewPort().withName("admin").withContainerPort(ADMIN_PORT).withProtocol("TCP").endPort()
                .addNewEnv().withName("POD_NAME").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name")
                .endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("POD_NAMESPACE").withNewValueFrom().withNewFieldRef()
                .withFieldPath("metadata.namespace").endFieldRef().endValueFrom().endEnv()
                // Written on the Lease by the active replica: which node carries the tunnels.
                .addNewEnv().withName("NODE_NAME").withNewValueFrom().withNewFieldRef()
                .withFieldPath("spec.nodeName").endFieldRef().endValueFrom().endEnv()
                .addNewVolumeMount().withName("config").withMountPath(CONFIG_DIR).withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName("tun").withMountPath(TUN_DEVICE).endVolumeMount()
                // The JVM's hsperfdata and nothing else: the root filesystem stays read-only.
                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                .withNewSecurityContext()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withNewCapabilities().withAdd(CAPABILITIES).withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .withNewLivenessProbe().withNewHttpGet().withPath("/healthz").withNewPort(ADMIN_PORT).endHttpGet()
                .withPeriodSeconds(10).withFailureThreshold(3).endLivenessProbe()
                .withNewReadinessProbe().withNewHttpGet().withPath("/readyz").withNewPort(ADMIN_PORT).endHttpGet()
                .withPeriodSeconds(5).endReadinessProbe()
                .withResources(spec.resources == null ? null
                        : Serialization.unmarshal(Serialization.asJson(spec.resources), ResourceRequirements.class))
                .build();
        List<Toleration> tolerations = spec.tolerations == null ? null : spec.tolerations.stream()
                .map(t -> Serialization.unmarshal(Serialization.asJson(t), Toleration.class)).toList();
        return new DeploymentBuilder()
                .withMetadata(meta(gw, name))
                .withNewSpec()
                .withReplicas(ConfigRenderer.replicas(spec))
                .withSelector(new LabelSelectorBuilder().withMatchLabels(selectorLabels(gw)).build())
                .withStrategy(strategy(ConfigRenderer.replicas(spec), hostNetwork))
                .withNewTemplate()
                .withNewMetadata().withLabels(labels(gw))
                .withAnnotations(Map.of(CONFIG_HASH_ANNOTATION, configHash)).endMetadata()
                .withNewSpec()
                .withServiceAccountName(serviceAccountName(name))
                .withNewSecurityContext().withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .withHostNetwork(hostNetwork ? true : null)
                .withDnsPolicy(hostNetwork ? "ClusterFirstWithHostNet" : null)
                .withNodeSelector(spec.nodeSelector)
                .withTolerations(tolerations)
                .withAffinity(antiAffinity(gw, hostNetwork))
                .withContainers(c)
                .addNewVolume().withName("config").withNewSecret().withSecretName(configSecretName(name))
                .withDefaultMode(0400).endSecret().endVolume()
                // CharDevice: the pod does not start on a node without the tun module rather than failing inside.
                .addNewVolume().withName("tun").withNewHostPath().withPath(TUN_DEVICE).withType("CharDevice")
                .endHostPath().endVolume()
                .addNewVolume().withName("tmp").withNewEmptyDir().withSizeLimit(new Quantity("16Mi")).endEmptyDir()
                .endVolume()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    /**
     * How a new pod template rolls out. Null (Kubernetes' default: one surge pod, none unavailable) for one pod-network
     * replica. With hostNetwork a surge pod has no node to go to (UDP 500 is taken, anti-affinity is required): no
     * surge. With active/standby only the active replica is ready (see docs/operations.md), so a rollout that waits for
     * a second ready pod would stall forever: every replica may be unavailable, and the lease moves to a new pod when
     * the old active one hands it over on SIGTERM.
     */
    static DeploymentStrategy strategy(int replicas, boolean hostNetwork) {
        if (replicas == 1 && !hostNetwork) {
            return null;
        }
        return new DeploymentStrategyBuilder().withType("RollingUpdate").withNewRollingUpdate()
                .withNewMaxSurge(hostNetwork ? 0 : 1).withNewMaxUnavailable(replicas).endRollingUpdate().build();
    }

    /** Replicas on different nodes: required with hostNetwork (they would fight over UDP 500), preferred otherwise. */
    private static Affinity antiAffinity(IPsecGateway gw, boolean hostNetwork) {
        PodAffinityTerm term = new PodAffinityTermBuilder().withTopologyKey("kubernetes.io/hostname")
                .withNewLabelSelector().withMatchLabels(selectorLabels(gw)).endLabelSelector().build();
        var b = new AffinityBuilder().withNewPodAntiAffinity();
        return (hostNetwork
                ? b.withRequiredDuringSchedulingIgnoredDuringExecution(term)
                : b.addNewPreferredDuringSchedulingIgnoredDuringExecution().withWeight(100)
                        .withPodAffinityTerm(term).endPreferredDuringSchedulingIgnoredDuringExecution())
                .endPodAntiAffinity().build();
    }

    /** Whether the gateway has a Service: not with type None (e.g. with hostNetwork, peers reach the node). */
    public static boolean hasService(IPsecGateway gw) {
        return serviceType(gw) != GatewaySpec.ServiceType.None;
    }

    private static GatewaySpec.ServiceType serviceType(IPsecGateway gw) {
        GatewaySpec spec = gw.getSpec() == null ? new GatewaySpec() : gw.getSpec();
        return spec.service == null || spec.service.type == null ? GatewaySpec.ServiceType.LoadBalancer : spec.service.type;
    }

    /** UDP 500/4500 for peers; null when the gateway has no Service ({@link #hasService}). */
    public static Service service(IPsecGateway gw) {
        GatewaySpec.ServiceType type = serviceType(gw);
        if (type == GatewaySpec.ServiceType.None) {
            return null;
        }
        return new ServiceBuilder().withMetadata(meta(gw, gw.getMetadata().getName()))
                .withNewSpec()
                .withType(type.name())
                // Local keeps the peer's source address, which IKE's NAT detection and peer matching depend on.
                .withExternalTrafficPolicy("Local")
                .withSelector(selectorLabels(gw))
                .addNewPort().withName("ike").withProtocol("UDP").withPort(IKE_PORT).withNewTargetPort(IKE_PORT).endPort()
                .addNewPort().withName("natt").withProtocol("UDP").withPort(NATT_PORT).withNewTargetPort(NATT_PORT)
                .endPort()
                .endSpec().build();
    }

    public static ServiceAccount serviceAccount(IPsecGateway gw) {
        return new ServiceAccountBuilder().withMetadata(meta(gw, serviceAccountName(gw.getMetadata().getName())))
                .build();
    }

    /**
     * What a gateway pod may do: read its own config, report its tunnels' status, hold its leader lease, read the
     * namespace's pods (which are its own replicas' is only a label selector, RBAC cannot narrow list to it).
     */
    public static Role role(IPsecGateway gw) {
        String name = gw.getMetadata().getName();
        List<PolicyRule> rules = List.of(
                new PolicyRuleBuilder().withApiGroups("").withResources("secrets")
                        .withResourceNames(configSecretName(name)).withVerbs("get", "watch").build(),
                new PolicyRuleBuilder().withApiGroups("strait.dev").withResources("ipsectunnels")
                        .withVerbs("get", "list", "watch").build(),
                new PolicyRuleBuilder().withApiGroups("strait.dev").withResources("ipsectunnels/status")
                        .withVerbs("patch").build(),
                // create cannot be limited to a name; get/update can.
                new PolicyRuleBuilder().withApiGroups("coordination.k8s.io").withResources("leases")
                        .withVerbs("create").build(),
                new PolicyRuleBuilder().withApiGroups("coordination.k8s.io").withResources("leases")
                        .withResourceNames(name + ConfigRenderer.LEADER_LEASE_SUFFIX)
                        .withVerbs("get", "watch", "update", "patch").build(),
                // A standby learns from the holder's pod status that its process died, before the lease expires.
                new PolicyRuleBuilder().withApiGroups("").withResources("pods")
                        .withVerbs("get", "list", "watch").build());
        return new RoleBuilder().withMetadata(meta(gw, serviceAccountName(name))).withRules(rules).build();
    }

    public static RoleBinding roleBinding(IPsecGateway gw) {
        String sa = serviceAccountName(gw.getMetadata().getName());
        return new RoleBindingBuilder().withMetadata(meta(gw, sa))
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName(sa).endRoleRef()
                .addNewSubject().withKind("ServiceAccount").withName(sa)
                .withNamespace(gw.getMetadata().getNamespace()).endSubject()
                .build();
    }
}
