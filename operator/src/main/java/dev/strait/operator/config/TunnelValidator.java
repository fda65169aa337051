package dev.strait.operator.config;

import dev.strait.api.net.Cidr;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.api.validation.ConfigException;
import dev.strait.api.validation.ConfigValidator;
import dev.strait.api.validation.Psks;
import dev.strait.operator.crd.IPsecTunnel;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Turns the IPsecTunnels of one gateway into gateway config entries, with the gateway's own validator, so that
 * what the operator accepts is exactly what the gateway accepts. One bad tunnel never affects the others.
 */
public final class TunnelValidator {
    private static final String NAME = "[a-zA-Z0-9]([-a-zA-Z0-9_.]{0,62})";

    private TunnelValidator() {
    }

    /**
     * @param tunnels the gateway's tunnels (those being deleted already left out)
     * @param secrets looks up a Secret of the tunnels' namespace by name, null when absent
     * @return one verdict per tunnel, keyed by tunnel name, in a stable order (oldest first)
     */
    public static Map<String, Verdict> check(List<IPsecTunnel> tunnels, Function<String, Secret> secrets) {
        return check(tunnels, secrets, List.of());
    }

    /** @param clusterPodCidrs what a tunnel without local.subnets carries on this side; empty when unknown */
    public static Map<String, Verdict> check(List<IPsecTunnel> tunnels, Function<String, Secret> secrets,
                                             List<String> clusterPodCidrs) {
        List<IPsecTunnel> ordered = new ArrayList<>(tunnels);
        // The older tunnel keeps its subnets when two overlap: a new tunnel cannot knock out a working one.
        ordered.sort(Comparator.comparing((IPsecTunnel t) -> String.valueOf(t.getMetadata().getCreationTimestamp()))
                .thenComparing(t -> t.getMetadata().getName()));
        Map<String, Verdict> out = new LinkedHashMap<>();
        Map<String, List<Cidr>> acceptedRemotes = new LinkedHashMap<>();
        for (IPsecTunnel t : ordered) {
            Verdict v = one(t, secrets, clusterPodCidrs);
            if (v instanceof Verdict.Accepted a) {
                Verdict overlap = overlap(t, acceptedRemotes);
                if (overlap != null) {
                    v = overlap;
                } else {
                    acceptedRemotes.put(t.getMetadata().getName(),
                            a.config().remote.subnets.stream().map(Cidr::parse).toList());
                }
            }
            out.put(t.getMetadata().getName(), v);
        }
        return out;
    }

    /** Validates one tunnel in isolation and resolves its PSK. */
    public static Verdict one(IPsecTunnel t, Function<String, Secret> secrets) {
        return one(t, secrets, List.of());
    }

    /** As {@link #one(IPsecTunnel, Function)}; a tunnel without local.subnets gets clusterPodCidrs. */
    public static Verdict one(IPsecTunnel t, Function<String, Secret> secrets, List<String> clusterPodCidrs) {
        String name = t.getMetadata().getName();
        TunnelSpec spec = t.getSpec();
        if (spec == null) {
            return new Verdict.Refused(Reason.InvalidSpec, "spec: is required");
        }
        if (usesClusterPodCidrs(spec)) {
            if (clusterPodCidrs.isEmpty()) {
                return new Verdict.Refused(Reason.InvalidSpec, "spec.local.subnets: left out, and the cluster's pod "
                        + "CIDR is unknown (no Node has spec.podCIDR): set local.subnets");
            }
            // A copy: the informer's cached object must stay as the API server has it.
            spec = ConfigRenderer.MAPPER.convertValue(spec, TunnelSpec.class);
            spec.local.subnets = new ArrayList<>(clusterPodCidrs);
        }
        if (!name.matches(NAME)) {
            return new Verdict.Refused(Reason.InvalidSpec,
                    "metadata.name: the gateway needs 1-63 letters, digits, '-', '_' or '.'");
        }
        try {
            ConfigValidator.tunnel("spec", spec, ConfigRenderer.LISTEN_ADDRESS);
        } catch (ConfigException e) {
            return refused(e);
        }
        if (spec.auth.certificate != null) {
            return certificate(t, spec, secrets);
        }
        TunnelSpec.Psk psk = spec.auth.psk;
        if (psk.secretRef == null) {
            return new Verdict.Refused(Reason.InvalidSpec,
                    "spec.auth.psk: set secretRef; file, value and hex are for the standalone gateway only");
        }
        String field = "spec.auth.psk.secretRef";
        Secret secret = secrets.apply(psk.secretRef.name);
        if (secret == null) {
            return new Verdict.Refused(Reason.SecretNotFound,
                    field + ".name: Secret '" + psk.secretRef.name + "' does not exist");
        }
        byte[] raw = secretBytes(secret, psk.secretRef.key);
        if (raw == null) {
            return new Verdict.Refused(Reason.SecretKeyNotFound,
                    field + ".key: Secret '" + psk.secretRef.name + "' has no key '" + psk.secretRef.key + "'");
        }
        // Text keys lose a trailing newline (kubectl --from-file of an edited file); any other bytes pass unchanged as hex.
        String text = strictUtf8(raw);
        String value = text == null ? null : withoutTrailingNewlines(text);
        try {
            Psks.checkKey(field + ": key '" + psk.secretRef.key + "' of Secret '" + psk.secretRef.name + "'",
                    value == null ? raw : value.getBytes(StandardCharsets.UTF_8));
        } catch (ConfigException e) {
            return refused(e);
        }
        TunnelConfig config = ConfigRenderer.MAPPER.convertValue(spec, TunnelConfig.class);
        config.gatewayRef = null;
        config.name = name;
        config.namespace = t.getMetadata().getNamespace();
        config.generation = t.getMetadata().getGeneration();
        config.auth.psk.secretRef = null;
        if (value != null) {
            config.auth.psk.value = value;
        } else {
            config.auth.psk.hex = java.util.HexFormat.of().formatHex(raw);
        }
        return new Verdict.Accepted(config);
    }

    /** Where the config Secret is mounted in the gateway pod; the certificate files sit next to gateway.yaml. */
    public static final String CONFIG_DIR = "/etc/strait";

    /**
     * Certificate authentication: secretRef names a kubernetes.io/tls Secret (tls.crt, tls.key, optional ca.crt, as
     * cert-manager writes it); caSecretRef (ca.crt) names the CA(s) that sign the peer, and wins over the tls Secret's
     * ca.crt. The PEMs travel in the config Secret as "TUNNEL.tls.crt", "TUNNEL.tls.key" and "TUNNEL.ca.crt".
     */
    private static Verdict certificate(IPsecTunnel t, TunnelSpec spec, Function<String, Secret> secrets) {
        String name = t.getMetadata().getName();
        TunnelSpec.Certificate c = spec.auth.certificate;
        String at = "spec.auth.certificate";
        if (c.certFile != null || c.keyFile != null || c.caFile != null || c.crlFile != null) {
            return new Verdict.Refused(Reason.InvalidSpec, at + ": certFile, keyFile, caFile and crlFile are for the standalone"
                    + " gateway only; use secretRef (kubernetes.io/tls) and caSecretRef");
        }
        if (c.secretRef == null) {
            return new Verdict.Refused(Reason.InvalidSpec, at + ".secretRef: is required (a kubernetes.io/tls Secret)");
        }
        Secret tls = secrets.apply(c.secretRef.name);
        if (tls == null) {
            return new Verdict.Refused(Reason.SecretNotFound, at + ".secretRef.name: Secret '" + c.secretRef.name + "' does not exist");
        }
        String crt = secretValue(tls, "tls.crt");
        String key = secretValue(tls, "tls.key");
        if (crt == null || key == null) {
            return new Verdict.Refused(Reason.SecretKeyNotFound, at + ".secretRef.name: Secret '" + c.secretRef.name
                    + "' needs tls.crt and tls.key");
        }
        String ca;
        if (c.caSecretRef != null) {
            Secret caSecret = secrets.apply(c.caSecretRef.name);
            if (caSecret == null) {
                return new Verdict.Refused(Reason.SecretNotFound, at + ".caSecretRef.name: Secret '" + c.caSecretRef.name
                        + "' does not exist");
            }
            ca = secretValue(caSecret, "ca.crt");
            if (ca == null) {
                return new Verdict.Refused(Reason.SecretKeyNotFound, at + ".caSecretRef.name: Secret '" + c.caSecretRef.name
                        + "' has no key 'ca.crt'");
            }
        } else {
            ca = secretValue(tls, "ca.crt");
            if (ca == null) {
                return new Verdict.Refused(Reason.SecretKeyNotFound, at + ": Secret '" + c.secretRef.name
                        + "' has no ca.crt; set caSecretRef to the CA that signs the peer");
            }
        }
        TunnelConfig config = ConfigRenderer.MAPPER.convertValue(spec, TunnelConfig.class);
        config.gatewayRef = null;
        config.name = name;
        config.namespace = t.getMetadata().getNamespace();
        config.generation = t.getMetadata().getGeneration();
        config.auth.psk = null;
        config.auth.certificate = new TunnelSpec.Certificate();
        config.auth.certificate.certFile = CONFIG_DIR + "/" + name + ".tls.crt";
        config.auth.certificate.keyFile = CONFIG_DIR + "/" + name + ".tls.key";
        config.auth.certificate.caFile = CONFIG_DIR + "/" + name + ".ca.crt";
        return new Verdict.Accepted(config, Map.of(name + ".tls.crt", crt + "\n", name + ".tls.key", key + "\n",
                name + ".ca.crt", ca + "\n"));
    }

    private static Verdict overlap(IPsecTunnel t, Map<String, List<Cidr>> accepted) {
        try {
            ConfigValidator.remoteSubnetsFree("spec.remote.subnets", t.getSpec().remote.subnets, accepted);
            return null;
        } catch (ConfigException e) {
            return refused(e);
        }
    }

    /** The gateway validator's refusal as a ConfigValid=False reason and message (the same words as `check`). */
    /** The tunnel leaves local.subnets out: the operator fills in the cluster's pod CIDR. */
    public static boolean usesClusterPodCidrs(TunnelSpec spec) {
        return spec.local != null && (spec.local.subnets == null || spec.local.subnets.isEmpty());
    }

    private static Verdict.Refused refused(ConfigException e) {
        Reason reason = e.kind() == ConfigException.Kind.SUBNET_OVERLAP ? Reason.SubnetOverlap
                : e.field().contains("proposals") ? Reason.InvalidProposal : Reason.InvalidSpec;
        return new Verdict.Refused(reason, e.getMessage());
    }

    /**
     * The bytes under key, or null. Secrets may carry it in data (base64) or, before the API server converts it, in
     * stringData (UTF-8).
     */
    private static byte[] secretBytes(Secret s, String key) {
        if (s.getData() != null && s.getData().get(key) != null) {
            return Base64.getDecoder().decode(s.getData().get(key));
        }
        if (s.getStringData() != null && s.getStringData().get(key) != null) {
            return s.getStringData().get(key).getBytes(StandardCharsets.UTF_8);
        }
        return null;
    }

    /** The bytes as text if they are valid UTF-8, else null (a binary key). */
    private static String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
    }

    /**
     * A trailing newline (kubectl create secret --from-file of an echo'd file) is not part of a text value, as for the
     * gateway's files.
     */
    private static String withoutTrailingNewlines(String text) {
        return text.replaceAll("[\\r\\n]+$", "");
    }

    /** A text value (PEM) under key, or null. */
    private static String secretValue(Secret s, String key) {
        byte[] b = secretBytes(s, key);
        return b == null ? null : withoutTrailingNewlines(new String(b, StandardCharsets.UTF_8));
    }
}
