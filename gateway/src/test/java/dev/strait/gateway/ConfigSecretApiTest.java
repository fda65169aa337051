package dev.strait.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.gateway.ike.auth.KeyType;
import dev.strait.gateway.ike.auth.TestPki;
import dev.strait.gateway.ike.sa.TunnelDefinition;
import dev.strait.gateway.kube.ConfigSecretWatch;
import dev.strait.gateway.testing.TestApiServer;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;

/**
 * The gateway follows its config Secret through a real kube-apiserver 1.20.2, as its own service account with
 * exactly the Role the operator gives it (get and watch on that one Secret): new versions are applied through the
 * same validated path as the file, the config file never changes, invalid versions change nothing, and certificate
 * files come from the Secret.
 */
@Tag("apiserver") // a separate, later surefire run: CI builds kube-apiserver meanwhile (gateway/pom.xml)
class ConfigSecretApiTest {
    static final String NS = "gw";
    static final String SECRET = "edge-config";
    static final String SA = "edge-gateway";
    static final String PSK = "config-secret-test-psk-0123456789";
    static TestApiServer api;
    static KubernetesClient admin;

    @BeforeAll
    static void start() {
        api = TestApiServer.start();
        admin = api.client();
        api.createNamespace(NS);
        admin.resource(new ServiceAccountBuilder().withNewMetadata().withName(SA).withNamespace(NS).endMetadata()
                .build()).create();
        // The secrets rule of the operator's gateway Role (GatewayResources.role).
        admin.resource(new RoleBuilder().withNewMetadata().withName(SA).withNamespace(NS).endMetadata()
                .addNewRule().withApiGroups("").withResources("secrets").withResourceNames(SECRET)
                .withVerbs("get", "watch").endRule().build()).create();
        admin.resource(new RoleBindingBuilder().withNewMetadata().withName(SA).withNamespace(NS).endMetadata()
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName(SA).endRoleRef()
                .addNewSubject().withKind("ServiceAccount").withName(SA).withNamespace(NS).endSubject().build())
                .create();
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
    }

    /** A client that is the gateway's service account (the admin certificate may impersonate). */
    static KubernetesClient asGateway() {
        Config c = Config.fromKubeconfig(api.kubeconfig());
        c.setImpersonateUsername("system:serviceaccount:" + NS + ":" + SA);
        c.setImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:" + NS, "system:authenticated");
        return new KubernetesClientBuilder().withConfig(c).build();
    }

    static String tunnel(String name, String remoteSubnet, String auth) {
        return """
                  - name: %s
                    peer: {address: 198.18.0.2, id: %s.test}
                    local: {id: gw.example.com, subnets: [10.10.0.0/24]}
                    remote: {subnets: [%s]}
                    auth: %s
                    ike: {proposals: [aes256gcm16-prfsha384-ecp384]}
                    esp: {proposals: [aes256gcm16]}
                """.formatted(name, name, remoteSubnet, auth);
    }

    static String config(String... tunnels) {
        return "listen: {address: 127.0.0.1}\nkubernetes: {namespace: " + NS + ", gatewayName: edge, configSecret: "
                + SECRET + "}\ntunnels:\n" + String.join("", tunnels);
    }

    static final String A = tunnel("a", "10.20.1.0/24", "{psk: {value: " + PSK + "}}");
    static final String B = tunnel("b", "10.20.2.0/24", "{psk: {value: " + PSK + "}}");

    static void write(Map<String, String> data) {
        Map<String, String> encoded = new LinkedHashMap<>();
        data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        admin.resource(new SecretBuilder().withNewMetadata().withName(SECRET).withNamespace(NS).endMetadata()
                .withData(encoded).build()).createOr(r -> r.update());
    }

    static List<String> names(List<TunnelDefinition> d) {
        return d.stream().map(TunnelDefinition::name).toList();
    }

    static TunnelDefinition named(List<TunnelDefinition> d, String name) {
        return d.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void followsTheSecretKeepsTheLastGoodConfigAndReadsCertificatesFromIt(@TempDir Path dir) throws Exception {
        Path configFile = dir.resolve("gateway.yaml"); // where kubelet would mount it: never written in this test
        write(Map.of("gateway.yaml", config(A)));
        LinkedBlockingQueue<List<TunnelDefinition>> applied = new LinkedBlockingQueue<>();
        ConfigReloader reloader = new ConfigReloader(configFile,
                dev.strait.gateway.config.ConfigLoader.parse(config(A)), applied::add);
        try (KubernetesClient gateway = asGateway();
                ConfigSecretWatch watch = new ConfigSecretWatch(gateway, NS, SECRET,
                        data -> reloader.fromSecret(data, "Secret " + NS + "/" + SECRET))) {
            // RBAC is enforced, and the Role is all the watch needs: no list, no other Secret.
            assertEquals(403, assertThrows(KubernetesClientException.class,
                    () -> gateway.secrets().inNamespace(NS).list()).getCode());
            assertEquals(List.of("a"), names(next(applied)));

            write(Map.of("gateway.yaml", config(A, B)));
            long written = System.nanoTime();
            List<TunnelDefinition> ab = next(applied);
            System.out.printf("Secret update applied %d ms after the write%n", (System.nanoTime() - written) / 1_000_000);
            assertEquals(List.of("a", "b"), names(ab));

            // Bad versions change nothing: the next tunnels applied are those of the next good version.
            write(Map.of("gateway.yaml", config(A, B) + "  - name: [unclosed"));
            write(Map.of("gateway.yaml", config(A, tunnel("b", "10.20.2.1/24", "{psk: {value: " + PSK + "}}"))));
            write(Map.of("gateway.yaml", config(A)));
            assertEquals(List.of("a"), names(next(applied)));
            assertFalse(Files.exists(configFile), "everything came through the API");

            // A certificate tunnel: its files are keys of the Secret, named by paths beside the config file.
            String cert = "{certificate: {certFile: %s, keyFile: %s, caFile: %s}}".formatted(
                    dir.resolve("c.tls.crt"), dir.resolve("c.tls.key"), dir.resolve("c.ca.crt"));
            String withCert = config(A, tunnel("c", "10.20.3.0/24", cert));
            TestPki.Chain first = TestPki.chain(KeyType.ECDSA_P256, KeyType.ECDSA_P256, UnaryOperator.identity());
            write(files(withCert, first));
            TunnelDefinition c1 = named(next(applied), "c");
            assertEquals(first.endEntity(), c1.certificates().credentials().endEntity());

            TestPki.Chain renewed = TestPki.chain(KeyType.ECDSA_P256, KeyType.ECDSA_P256, UnaryOperator.identity());
            write(files(withCert, renewed));
            List<TunnelDefinition> afterRenewal = next(applied);
            TunnelDefinition c2 = named(afterRenewal, "c");
            assertEquals(renewed.endEntity(), c2.certificates().credentials().endEntity(), "the renewed certificate");
            assertEquals(c1.fingerprint(), c2.fingerprint(), "same tunnel: the engine keeps its SAs");
            assertEquals(named(afterRenewal, "a").fingerprint(), named(ab, "a").fingerprint());
            assertNotEquals(first.endEntity().getSerialNumber(), renewed.endEntity().getSerialNumber());

            // A certificate file the Secret lacks is missing, even if an old copy lay on the disk.
            Files.writeString(dir.resolve("c.ca.crt"), TestPki.pem(renewed.root()));
            Map<String, String> lacking = files(withCert, renewed);
            lacking.remove("c.ca.crt");
            write(lacking);
            write(Map.of("gateway.yaml", config(A, B)));
            assertEquals(List.of("a", "b"), names(next(applied)), "the version without c.ca.crt was refused");
            assertTrue(applied.isEmpty());
        }
    }

    static Map<String, String> files(String yaml, TestPki.Chain chain) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("gateway.yaml", yaml);
        m.put("c.tls.crt", TestPki.pem(chain.endEntity(), chain.intermediate()));
        m.put("c.tls.key", TestPki.pkcs8Pem(chain.endEntityKey().getPrivate()));
        m.put("c.ca.crt", TestPki.pem(chain.root()));
        return m;
    }

    /** The next set of tunnels applied; a minute leaves room on a busy machine, it usually takes milliseconds. */
    static List<TunnelDefinition> next(LinkedBlockingQueue<List<TunnelDefinition>> applied) throws InterruptedException {
        List<TunnelDefinition> d = applied.poll(60, TimeUnit.SECONDS);
        assertNotNull(d, "no config applied within 60 s");
        return d;
    }
}
