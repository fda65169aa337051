package dev.strait.operator.dependent;

import dev.strait.operator.crd.IPsecGateway;
import dev.strait.operator.resources.GatewayResources;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

/**
 * UDP 500/4500 for peers. Only while the gateway wants a Service ({@link Wanted}); with type None the one made earlier
 * is deleted: the informer maps Services to gateways by owner reference, so someone else's of the same name is never
 * touched.
 */
@KubernetesDependent(informer = @Informer(labelSelector = GatewayObject.MANAGED),
        createResourceOnlyIfNotExistingWithSSA = false)
public class ServiceDependent extends GatewayObject<Service> {
    public ServiceDependent() {
        super(Service.class, GatewayResources::service);
    }

    /** By name, not from the manifest: with type None (when JOSDK deletes the old one) there is none. */
    @Override
    protected ResourceID targetSecondaryResourceID(IPsecGateway gw, Context<IPsecGateway> context) {
        return ResourceID.fromResource(gw);
    }

    /** spec.service.type is not None (e.g. with hostNetwork the peers reach the node itself). */
    public static final class Wanted implements Condition<Service, IPsecGateway> {
        @Override
        public boolean isMet(DependentResource<Service, IPsecGateway> dependent, IPsecGateway gw,
                             Context<IPsecGateway> context) {
            return GatewayResources.hasService(gw);
        }
    }
}
