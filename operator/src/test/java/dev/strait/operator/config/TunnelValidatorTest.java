package dev.strait.operator.config;

import static dev.strait.operator.Fixtures.psk;
import static dev.strait.operator.Fixtures.tunnel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.operator.crd.IPsecTunnel;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class TunnelValidatorTest {
    static final String KEY = "a-long-enough-pre-shared-key-0123";
    final Map<String, Secret> secrets = Map.of("psk", psk("ns", "psk", KEY + "\n"), "short", psk("ns", "short", "tooShort"));
    final Function<String, Secret> lookup = secrets::get;

    @Test
    void aBinaryPskReachesTheGatewayByteForByteAsHex() throws Exception {
        // 0xff and a lone continuation byte are not UTF-8; the trailing 0x0a is part of a binary key, not a newline.
        byte[] key = java.util.HexFormat.of().parseHex("ff80c328000102030405060708090a0b0c0d0e0f10111213deadbeef0a");
        Secret binary = new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("bin").withNamespace("ns")
                .endMetadata().withData(Map.of("psk", java.util.Base64.getEncoder().encodeToString(key))).build();
        var a = assertInstanceOf(Verdict.Accepted.class,
                TunnelValidator.one(tunnel("ns", "a", "gw", "bin", "192.168.1.0/24"), Map.of("bin", binary)::get));
        assertNull(a.config().auth.psk.value);
        assertEquals(java.util.HexFormat.of().formatHex(key), a.config().auth.psk.hex);
        org.junit.jupiter.api.Assertions.assertArrayEquals(key, dev.strait.api.validation.Psks.resolve("psk", a.config().auth.psk),
                "the gateway reads back the Secret's bytes");
        assertFalse(a.toString().contains(a.config().auth.psk.hex), "the key is not in the verdict's text");
    }

    @Test
    void leftOutLocalSubnetsBecomeTheClusterPodCidrsOrARefusalWhenUnknown() {
        var t = tunnel("ns", "a", "gw", "psk", "192.168.1.0/24");
        t.getSpec().local.subnets = List.of();
        var a = assertInstanceOf(Verdict.Accepted.class,
                TunnelValidator.one(t, lookup, List.of("10.244.0.0/24", "10.244.1.0/24")));
        assertEquals(List.of("10.244.0.0/24", "10.244.1.0/24"), a.config().local.subnets);
        assertEquals(List.of(), t.getSpec().local.subnets, "the cached spec is left as the API server has it");
        assertRefused(TunnelValidator.one(t, lookup, List.of()), Reason.InvalidSpec, "spec.local.subnets");
        // The pod CIDR is checked like written subnets: one overlapping the remote side is refused.
        assertRefused(TunnelValidator.one(t, lookup, List.of("192.168.0.0/16")), Reason.SubnetOverlap, "spec.");
    }

    @Test
    void validTunnelIsRenderedWithInlinePskAndNoSecretRef() {
        Verdict v = TunnelValidator.one(tunnel("ns", "a", "gw", "psk", "192.168.1.0/24"), lookup);
        var a = assertInstanceOf(Verdict.Accepted.class, v);
        assertEquals("a", a.config().name);
        assertEquals("ns", a.config().namespace);
        assertEquals(KEY, a.config().auth.psk.value, "trailing newline of the Secret value is not part of the key");
        assertNull(a.config().auth.psk.secretRef);
        assertNull(a.config().gatewayRef);
        assertFalse(v.toString().contains(KEY));
    }

    @Test
    void missingSecretAndKeyAndShortKey() {
        assertRefused(TunnelValidator.one(tunnel("ns", "a", "gw", "nope", "192.168.1.0/24"), lookup),
                Reason.SecretNotFound, "spec.auth.psk.secretRef.name");
        IPsecTunnel wrongKey = tunnel("ns", "a", "gw", "psk", "192.168.1.0/24");
        wrongKey.getSpec().auth.psk.secretRef.key = "other";
        assertRefused(TunnelValidator.one(wrongKey, lookup), Reason.SecretKeyNotFound, "spec.auth.psk.secretRef.key");
        Verdict shortKey = TunnelValidator.one(tunnel("ns", "a", "gw", "short", "192.168.1.0/24"), lookup);
        assertRefused(shortKey, Reason.InvalidSpec, "spec.auth.psk.secretRef");
        assertFalse(((Verdict.Refused) shortKey).message().contains("tooShort"), "the message must not leak the key");
    }

    @Test
    void weakProposalsAreRefusedNamingTheField() {
        IPsecTunnel t = tunnel("ns", "a", "gw", "psk", "192.168.1.0/24");
        t.getSpec().ike.proposals = List.of("aes256gcm16-prfsha384-x25519", "3des-sha1-modp1024");
        assertRefused(TunnelValidator.one(t, lookup), Reason.InvalidProposal, "spec.ike.proposals[1]");
        IPsecTunnel sha1 = tunnel("ns", "a", "gw", "psk", "192.168.1.0/24");
        sha1.getSpec().esp.proposals = List.of("aes128-sha1");
        assertRefused(TunnelValidator.one(sha1, lookup), Reason.InvalidProposal, "spec.esp.proposals[0]");
        sha1.getSpec().legacyAlgorithms = true;
        assertInstanceOf(Verdict.Accepted.class, TunnelValidator.one(sha1, lookup));
    }

    @Test
    void invalidSpecNamesTheField() {
        IPsecTunnel t = tunnel("ns", "a", "gw", "psk", "192.168.1.0/24");
        t.getSpec().peer.address = "not-an-ip";
        assertRefused(TunnelValidator.one(t, lookup), Reason.InvalidSpec, "spec.peer.address");
        IPsecTunnel hostBits = tunnel("ns", "a", "gw", "psk", "192.168.1.1/24");
        assertRefused(TunnelValidator.one(hostBits, lookup), Reason.InvalidSpec, "spec.remote.subnets[0]");
    }

    @Test
    void overlapRefusesTheNewerTunnelAndKeepsTheOthers() {
        IPsecTunnel old = tunnel("ns", "old", "gw", "psk", "192.168.0.0/16");
        old.getMetadata().setCreationTimestamp("2025-01-01T00:00:00Z");
        IPsecTunnel newer = tunnel("ns", "newer", "gw", "psk", "192.168.7.0/24");
        newer.getMetadata().setCreationTimestamp("2025-02-01T00:00:00Z");
        IPsecTunnel other = tunnel("ns", "other", "gw", "psk", "172.16.0.0/24");
        other.getMetadata().setCreationTimestamp("2025-03-01T00:00:00Z");
        Map<String, Verdict> v = TunnelValidator.check(List.of(newer, other, old), lookup);
        assertInstanceOf(Verdict.Accepted.class, v.get("old"));
        assertInstanceOf(Verdict.Accepted.class, v.get("other"));
        assertRefused(v.get("newer"), Reason.SubnetOverlap, "spec.remote.subnets[0]");
        assertTrue(((Verdict.Refused) v.get("newer")).message().contains("'old'"));
    }

    static void assertRefused(Verdict v, Reason reason, String field) {
        var r = assertInstanceOf(Verdict.Refused.class, v);
        assertEquals(reason, r.reason(), r.message());
        assertTrue(r.message().startsWith(field), "message should name " + field + ": " + r.message());
        assertFalse(r.message().contains(KEY));
    }

    private static Secret tls(String name, String crt, String key, String ca) {
        var b = new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withNamespace("ns").withName(name)
                .endMetadata().withType("kubernetes.io/tls");
        java.util.Map<String, String> data = new java.util.HashMap<>();
        data.put("tls.crt", java.util.Base64.getEncoder().encodeToString(crt.getBytes()));
        data.put("tls.key", java.util.Base64.getEncoder().encodeToString(key.getBytes()));
        if (ca != null) {
            data.put("ca.crt", java.util.Base64.getEncoder().encodeToString(ca.getBytes()));
        }
        return b.withData(data).build();
    }

    private static IPsecTunnel certTunnel(String tlsSecret, String caSecret) {
        IPsecTunnel t = tunnel("ns", "branch", "gw", "psk", "192.168.1.0/24");
        t.getSpec().auth.psk = null;
        t.getSpec().auth.certificate = new dev.strait.api.v1alpha1.TunnelSpec.Certificate();
        t.getSpec().auth.certificate.secretRef = new dev.strait.api.v1alpha1.TunnelSpec.SecretRef();
        t.getSpec().auth.certificate.secretRef.name = tlsSecret;
        if (caSecret != null) {
            t.getSpec().auth.certificate.caSecretRef = new dev.strait.api.v1alpha1.TunnelSpec.SecretRef();
            t.getSpec().auth.certificate.caSecretRef.name = caSecret;
        }
        return t;
    }

    @Test
    void tlsSecretIsRenderedAsFilesNextToTheConfig() {
        Map<String, Secret> s = Map.of("edge-tls", tls("edge-tls", "CERT-1", "KEY-1", "CA-FROM-TLS"),
                "branch-ca", tls("branch-ca", "x", "y", "BRANCH-CA"));
        var a = assertInstanceOf(Verdict.Accepted.class, TunnelValidator.one(certTunnel("edge-tls", null), s::get));
        assertEquals("/etc/strait/branch.tls.crt", a.config().auth.certificate.certFile);
        assertEquals("/etc/strait/branch.tls.key", a.config().auth.certificate.keyFile);
        assertEquals("/etc/strait/branch.ca.crt", a.config().auth.certificate.caFile);
        assertNull(a.config().auth.certificate.secretRef);
        assertEquals(Map.of("branch.tls.crt", "CERT-1\n", "branch.tls.key", "KEY-1\n", "branch.ca.crt", "CA-FROM-TLS\n"), a.files());
        assertFalse(a.toString().contains("KEY-1"));
        var withCa = assertInstanceOf(Verdict.Accepted.class, TunnelValidator.one(certTunnel("edge-tls", "branch-ca"), s::get));
        assertEquals("BRANCH-CA\n", withCa.files().get("branch.ca.crt"), "caSecretRef wins over the tls Secret's ca.crt");
    }

    @Test
    void replacedTlsSecretChangesTheFilesButNotTheConfig() throws Exception {
        var before = assertInstanceOf(Verdict.Accepted.class, TunnelValidator.one(certTunnel("edge-tls", null),
                Map.of("edge-tls", tls("edge-tls", "CERT-1", "KEY-1", "CA"))::get));
        var after = assertInstanceOf(Verdict.Accepted.class, TunnelValidator.one(certTunnel("edge-tls", null),
                Map.of("edge-tls", tls("edge-tls", "CERT-2", "KEY-2", "CA"))::get));
        assertEquals("CERT-2\n", after.files().get("branch.tls.crt"));
        // Same YAML: the pods are not rolled; the mounted files change and the gateway reloads the credentials.
        assertEquals(ConfigRenderer.yaml().writeValueAsString(before.config()), ConfigRenderer.yaml().writeValueAsString(after.config()));
        var gw = dev.strait.operator.Fixtures.gateway("ns", "gw", 1);
        gw.getMetadata().setUid("uid-1");
        var s1 = dev.strait.operator.resources.GatewayResources.configSecret(gw, "yaml", List.of("branch"), before.files());
        var s2 = dev.strait.operator.resources.GatewayResources.configSecret(gw, "yaml", List.of("branch"), after.files());
        assertTrue(s1.getData().containsKey("branch.tls.crt") && s1.getData().containsKey("gateway.yaml"));
        assertFalse(s1.getData().equals(s2.getData()), "a replaced Secret re-renders the config Secret");
    }

    @Test
    void certificateRefusalsNameTheField() {
        Map<String, Secret> s = Map.of("no-ca", tls("no-ca", "C", "K", null));
        assertRefused(TunnelValidator.one(certTunnel("missing", null), s::get), Reason.SecretNotFound, "spec.auth.certificate.secretRef.name");
        assertRefused(TunnelValidator.one(certTunnel("no-ca", null), s::get), Reason.SecretKeyNotFound, "spec.auth.certificate");
        IPsecTunnel files = certTunnel("no-ca", null);
        files.getSpec().auth.certificate.certFile = "/tmp/x.pem";
        assertRefused(TunnelValidator.one(files, s::get), Reason.InvalidSpec, "spec.auth.certificate");
    }

    /**
     * The careless-operator cases of issue 14 get the refusal the gateway's validator gives for the same tunnel in a
     * gateway YAML: the same words after the field prefix ("spec." here, "tunnels[0]." there).
     */
    @Test
    void carelessTunnelsGetTheGatewaysOwnRefusal() throws Exception {
        Map<String, java.util.function.Consumer<IPsecTunnel>> cases = new java.util.LinkedHashMap<>();
        cases.put("spec.ike.rekeyAfter", t -> t.getSpec().ike.rekeyAfter = "1ms");
        cases.put("spec.esp.rekeyAfter", t -> t.getSpec().esp.rekeyAfter = "0s");
        cases.put("spec.ike.dpd.interval", t -> t.getSpec().ike.dpd.interval = "1ms");
        cases.put("spec.peer.address", t -> t.getSpec().peer.address = "2001:db8::10");
        cases.put("spec.remote.subnets[0]", t -> t.getSpec().remote.subnets = List.of("10.244.3.0/24"));
        for (var c : cases.entrySet()) {
            IPsecTunnel t = tunnel("ns", "a", "gw", "psk", "192.168.1.0/24");
            c.getValue().accept(t);
            var refused = assertInstanceOf(Verdict.Refused.class, TunnelValidator.one(t, lookup), c.getKey());
            assertTrue(refused.message().startsWith(c.getKey() + ": "), refused.message());
            assertEquals(c.getKey().startsWith("spec.remote") ? Reason.SubnetOverlap : Reason.InvalidSpec, refused.reason());

            var config = new dev.strait.api.v1alpha1.GatewayConfig();
            var asGateway = ConfigRenderer.yaml().convertValue(t.getSpec(), dev.strait.api.v1alpha1.TunnelConfig.class);
            asGateway.name = "a";
            asGateway.gatewayRef = null;
            asGateway.auth.psk = new dev.strait.api.v1alpha1.TunnelSpec.Psk();
            asGateway.auth.psk.value = KEY;
            config.tunnels.add(asGateway);
            var gateway = org.junit.jupiter.api.Assertions.assertThrows(dev.strait.api.validation.ConfigException.class,
                    () -> dev.strait.api.validation.ConfigValidator.validate(config));
            assertEquals(c.getKey().replaceFirst("^spec", "tunnels[0]"), gateway.field());
            assertEquals(gateway.getMessage().substring(gateway.field().length()),
                    refused.message().substring(c.getKey().length()), "same refusal as the gateway's check");
        }
    }

    @Test
    void aSecretOfSpacesIsRefusedLikeAGatewayPskOfSpaces() {
        Verdict v = TunnelValidator.one(tunnel("ns", "a", "gw", "blank", "192.168.1.0/24"),
                Map.of("blank", psk("ns", "blank", " ".repeat(20) + "\n"))::get);
        assertRefused(v, Reason.InvalidSpec, "spec.auth.psk.secretRef");
        assertTrue(((Verdict.Refused) v).message().endsWith("holds only whitespace"), ((Verdict.Refused) v).message());
    }

    @Test
    void pskFilesAreForTheStandaloneGatewayOnly() {
        IPsecTunnel t = tunnel("ns", "a", "gw", "psk", "192.168.1.0/24");
        t.getSpec().auth.psk.secretRef = null;
        t.getSpec().auth.psk.file = "/etc/psk";
        assertRefused(TunnelValidator.one(t, lookup), Reason.InvalidSpec, "spec.auth.psk");
    }
}
