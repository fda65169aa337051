package dev.strait.operator.dependent;

import dev.strait.operator.config.ConfigRenderer;
import dev.strait.operator.config.RenderedGateway;
import dev.strait.operator.crd.IPsecGateway;
import dev.strait.operator.resources.GatewayResources;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * The gateway pods. Its template carries the hash of the settings a gateway reads only at start, keyed with the config
 * Secret's UID: so it comes after the config Secret, and rolls the pods only when those settings change.
 */
@KubernetesDependent(informer = @Informer(labelSelector = GatewayObject.MANAGED),
        createResourceOnlyIfNotExistingWithSSA = false)
public class DeploymentDependent extends CRUDKubernetesDependentResource<Deployment, IPsecGateway> {
    public DeploymentDependent() {
        super(Deployment.class);
    }

    @Override
    protected Deployment desired(IPsecGateway gw, Context<IPsecGateway> context) {
        String hash = GatewayResources.configHash(ConfigSecretDependent.applied(context).getMetadata().getUid(),
                ConfigRenderer.startSettingsYaml(gw));
        return GatewayResources.deployment(gw, RenderedGateway.of(context).defaultImage(), hash);
    }
}
