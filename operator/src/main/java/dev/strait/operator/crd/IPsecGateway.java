package dev.strait.operator.crd;

import dev.strait.api.v1alpha1.GatewaySpec;
import dev.strait.api.v1alpha1.GatewayStatus;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Where a set of tunnels runs: the gateway pods, their Service and their rendered config. */
@Group("strait.dev")
@Version("v1alpha1")
@ShortNames("ipgw")
public class IPsecGateway extends CustomResource<GatewaySpec, GatewayStatus> implements Namespaced {
}
