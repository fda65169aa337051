package dev.strait.operator.dependent;

import dev.strait.operator.resources.GatewayResources;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** Binds the gateway's Role to its ServiceAccount; after the Role (the API server checks what a binding grants). */
@KubernetesDependent(informer = @Informer(labelSelector = GatewayObject.MANAGED),
        createResourceOnlyIfNotExistingWithSSA = false)
public class RoleBindingDependent extends GatewayObject<RoleBinding> {
    public RoleBindingDependent() {
        super(RoleBinding.class, GatewayResources::roleBinding);
    }
}
