package dev.strait.operator.dependent;

import dev.strait.operator.resources.GatewayResources;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** What the gateway pods may do: read their config Secret, report their tunnels' status, hold their lease. */
@KubernetesDependent(informer = @Informer(labelSelector = GatewayObject.MANAGED),
        createResourceOnlyIfNotExistingWithSSA = false)
public class RoleDependent extends GatewayObject<Role> {
    public RoleDependent() {
        super(Role.class, GatewayResources::role);
    }
}
