package dev.strait.operator.dependent;

import dev.strait.operator.crd.IPsecGateway;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import java.util.function.Function;

/**
 * An object a gateway owns whose manifest is a pure function of the IPsecGateway (GatewayResources): JOSDK applies it
 * (server-side, as strait-operator, taking back fields others changed) when it differs from what is there, and the
 * API server's garbage collector removes it with the gateway (owner reference). Every dependent sets
 * createResourceOnlyIfNotExistingWithSSA = false: a plain apply, whether the object is there or not (JOSDK's guard
 * sends a resourceVersion that kube-apiserver 1.20 refuses with a 500 when it creates a Service).
 */
abstract class GatewayObject<R extends HasMetadata> extends CRUDKubernetesDependentResource<R, IPsecGateway> {
    /** The label every object of a gateway carries: the dependents' informers see only these. */
    static final String MANAGED = "app.kubernetes.io/managed-by=strait-operator";

    private final Function<IPsecGateway, R> manifest;

    GatewayObject(Class<R> type, Function<IPsecGateway, R> manifest) {
        super(type);
        this.manifest = manifest;
    }

    @Override
    protected R desired(IPsecGateway gw, Context<IPsecGateway> context) {
        return manifest.apply(gw);
    }
}
