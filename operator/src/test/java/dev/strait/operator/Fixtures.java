package dev.strait.operator;

import dev.strait.api.v1alpha1.GatewaySpec;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.operator.crd.IPsecGateway;
import dev.strait.operator.crd.IPsecTunnel;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** Test resources: a valid PSK tunnel that each test bends into the case it needs. */
public final class Fixtures {
    private Fixtures() {
    }

    public static IPsecTunnel tunnel(String ns, String name, String gateway, String pskSecret, String remoteSubnet) {
        TunnelSpec s = new TunnelSpec();
        s.gatewayRef = new TunnelSpec.GatewayRef();
        s.gatewayRef.name = gateway;
        s.peer.address = "203.0.113.10";
        s.peer.id = name + ".example.com";
        s.local.id = "cluster.example.com";
        s.local.subnets = List.of("10.244.0.0/16");
        s.remote.subnets = List.of(remoteSubnet);
        s.auth.psk = new TunnelSpec.Psk();
        s.auth.psk.secretRef = new TunnelSpec.SecretKeyRef();
        s.auth.psk.secretRef.name = pskSecret;
        s.auth.psk.secretRef.key = "psk";
        IPsecTunnel t = new IPsecTunnel();
        t.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        t.setSpec(s);
        return t;
    }

    public static IPsecGateway gateway(String ns, String name, int replicas) {
        IPsecGateway g = new IPsecGateway();
        g.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        GatewaySpec s = new GatewaySpec();
        s.replicas = replicas;
        g.setSpec(s);
        return g;
    }

    public static Secret psk(String ns, String name, String value) {
        return new SecretBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withData(Map.of("psk", Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8))))
                .build();
    }
}
