package dev.strait.operator.dependent;

import dev.strait.operator.resources.GatewayResources;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The gateway pods' ServiceAccount. */
@KubernetesDependent(informer = @Informer(labelSelector = GatewayObject.MANAGED),
        createResourceOnlyIfNotExistingWithSSA = false)
public class ServiceAccountDependent extends GatewayObject<ServiceAccount> {
    public ServiceAccountDependent() {
        super(ServiceAccount.class, GatewayResources::serviceAccount);
    }
}
