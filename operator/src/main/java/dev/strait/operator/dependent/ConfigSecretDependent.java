package dev.strait.operator.dependent;

import dev.strait.operator.config.RenderedGateway;
import dev.strait.operator.crd.IPsecGateway;
import dev.strait.operator.resources.GatewayResources;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.ReconcileResult;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.BooleanWithUndefined;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

/**
 * The gateway's config Secret: the YAML rendered from its accepted tunnels (PSKs inline) and their certificate files.
 * Its only writer, so concurrent tunnel edits never interleave into a half-applied config; written only when its
 * bytes change (JOSDK compares with what the informer holds). It shares the reconciler's Secret informer, which also
 * serves the PSK lookups. Server-side apply even though JOSDK leaves Secrets to update by default: the objects of a
 * gateway all have the one field manager.
 */
@KubernetesDependent(useSSA = BooleanWithUndefined.TRUE, createResourceOnlyIfNotExistingWithSSA = false)
public class ConfigSecretDependent extends CRUDKubernetesDependentResource<Secret, IPsecGateway> {
    public static final String NAME = "config-secret";
    private static final String APPLIED = ConfigSecretDependent.class.getName() + ".applied";

    public ConfigSecretDependent() {
        super(Secret.class);
    }

    /** The config Secret as this pass left it: the Deployment's config hash is keyed with its UID. */
    static Secret applied(Context<IPsecGateway> context) {
        return context.managedWorkflowAndDependentResourceContext().getMandatory(APPLIED, Secret.class);
    }

    @Override
    public ReconcileResult<Secret> reconcile(IPsecGateway gw, Context<IPsecGateway> context) {
        refuseSomeoneElses(gw);
        ReconcileResult<Secret> result = super.reconcile(gw, context);
        context.managedWorkflowAndDependentResourceContext().put(APPLIED, result.getSingleResource().orElseThrow());
        return result;
    }

    @Override
    protected Secret desired(IPsecGateway gw, Context<IPsecGateway> context) {
        RenderedGateway r = RenderedGateway.of(context);
        return GatewayResources.configSecret(gw, r.yaml(), r.tunnelNames(), r.files());
    }

    /** By name: the shared informer holds the PSK Secrets of the gateway's tunnels too. */
    @Override
    protected ResourceID targetSecondaryResourceID(IPsecGateway gw, Context<IPsecGateway> context) {
        return new ResourceID(GatewayResources.configSecretName(gw.getMetadata().getName()), gw.getMetadata().getNamespace());
    }

    /** Someone else's Secret (a PSK, say) has the name we need: never merge a config into it. */
    private void refuseSomeoneElses(IPsecGateway gw) {
        ResourceID id = targetSecondaryResourceID(gw, null);
        eventSource().flatMap(secrets -> secrets.get(id))
                .filter(s -> s.getMetadata().getOwnerReferences().stream()
                        .noneMatch(o -> o.getUid().equals(gw.getMetadata().getUid())))
                .ifPresent(s -> {
                    throw new IllegalStateException("Secret " + id.getNamespace().orElse("") + "/" + id.getName()
                            + " exists and does not belong to this IPsecGateway; rename or remove it");
                });
    }
}
