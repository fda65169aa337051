package dev.strait.operator.reconcile;

import dev.strait.api.v1alpha1.GatewaySpec;
import dev.strait.api.validation.ConfigException;
import dev.strait.api.validation.ConfigValidator;
import dev.strait.operator.OperatorMetrics;
import dev.strait.operator.config.RenderedGateway;
import dev.strait.operator.crd.IPsecGateway;
import dev.strait.operator.crd.IPsecTunnel;
import dev.strait.operator.dependent.ConfigSecretDependent;
import dev.strait.operator.dependent.DeploymentDependent;
import dev.strait.operator.dependent.RoleBindingDependent;
import dev.strait.operator.dependent.RoleDependent;
import dev.strait.operator.dependent.ServiceAccountDependent;
import dev.strait.operator.dependent.ServiceDependent;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles an IPsecGateway: checks its tunnels and renders its config once per pass ({@link RenderedGateway}), has
 * JOSDK apply the objects that run it (the workflow below), then writes each tunnel's ConfigValid and the gateway's
 * status. Every tunnel event, PSK Secret change or gateway change re-renders the config from the caches, so the config
 * Secret has this one writer. The workflow is invoked explicitly: a gateway whose own spec is refused gets no objects
 * applied, and keeps running its last good config.
 */
@Workflow(explicitInvocation = true, dependents = {
        @Dependent(name = ConfigSecretDependent.NAME, type = ConfigSecretDependent.class,
                useEventSourceWithName = GatewayEventSources.SECRETS),
        // The config first: a gateway whose config cannot be written (someone else's Secret has its name) gets nothing.
        @Dependent(name = GatewayReconciler.SERVICE_ACCOUNT, type = ServiceAccountDependent.class,
                dependsOn = ConfigSecretDependent.NAME),
        @Dependent(name = GatewayReconciler.ROLE, type = RoleDependent.class, dependsOn = ConfigSecretDependent.NAME),
        @Dependent(name = GatewayReconciler.ROLE_BINDING, type = RoleBindingDependent.class,
                dependsOn = GatewayReconciler.ROLE),
        @Dependent(name = "deployment", type = DeploymentDependent.class,
                dependsOn = {GatewayReconciler.SERVICE_ACCOUNT, GatewayReconciler.ROLE_BINDING}),
        @Dependent(name = "service", type = ServiceDependent.class, dependsOn = ConfigSecretDependent.NAME,
                reconcilePrecondition = ServiceDependent.Wanted.class)
})
@ControllerConfiguration(name = GatewayReconciler.NAME, fieldManager = GatewayReconciler.FIELD_MANAGER)
public class GatewayReconciler implements Reconciler<IPsecGateway> {
    public static final String NAME = "ipsecgateway";
    public static final String FIELD_MANAGER = "strait-operator";
    static final String SERVICE_ACCOUNT = "service-account";
    static final String ROLE = "role";
    static final String ROLE_BINDING = "role-binding";
    private static final Logger LOG = LoggerFactory.getLogger(GatewayReconciler.class);

    private final String defaultImage;
    private final OperatorMetrics metrics;
    private final GatewayEventSources sources;

    /**
     * @param routeAgentNamespace where the route agent pods run (the chart's release namespace), or null when the
     *                            route agent is disabled: then RoutesReady is Unknown and no pod or node is watched
     */
    public GatewayReconciler(String defaultImage, String routeAgentNamespace, OperatorMetrics metrics) {
        this(defaultImage, routeAgentNamespace, List.of(), metrics);
    }

    /**
     * @param fallbackPodCidrs the cluster's pod CIDRs as configured (chart value clusterPodCidrs): local.subnets of
     *                         tunnels that leave them out, when no Node has a podCIDR
     */
    public GatewayReconciler(String defaultImage, String routeAgentNamespace, List<String> fallbackPodCidrs,
                             OperatorMetrics metrics) {
        this.defaultImage = defaultImage;
        this.metrics = metrics;
        this.sources = new GatewayEventSources(routeAgentNamespace, fallbackPodCidrs);
    }

    /** All tunnels this controller sees, for the tunnels-by-phase gauge. */
    public Stream<IPsecTunnel> knownTunnels() {
        return sources.knownTunnels();
    }

    @Override
    public List<EventSource<?, IPsecGateway>> prepareEventSources(EventSourceContext<IPsecGateway> context) {
        return sources.prepare(context);
    }

    @Override
    public UpdateControl<IPsecGateway> reconcile(IPsecGateway gw, Context<IPsecGateway> context) {
        return metrics.timeReconcile(NAME, () -> doReconcile(gw, context));
    }

    private UpdateControl<IPsecGateway> doReconcile(IPsecGateway gw, Context<IPsecGateway> context) {
        String ns = gw.getMetadata().getNamespace();
        String specError = specError(gw);
        if (specError != null) {
            LOG.info("gateway {}/{} spec refused: {}", ns, gw.getMetadata().getName(), specError);
            return GatewayStatusUpdate.specRefused(gw, specError, sources.routesReady(), sources.leaseOf(gw));
        }
        List<IPsecTunnel> active = sources.tunnelsOf(gw).stream()
                .filter(t -> t.getMetadata().getDeletionTimestamp() == null).toList();
        RenderedGateway rendered = RenderedGateway.render(gw, active, name -> sources.secret(ns, name),
                sources.clusterPodCidrs(), defaultImage);
        rendered.putInto(context);
        context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
        TunnelConditions.write(context.getClient(), gw.getMetadata().getName(), rendered);
        return GatewayStatusUpdate.rendered(gw, rendered.accepted(), active.size(), sources.routesReady(),
                sources.leaseOf(gw));
    }

    /** What is wrong with the gateway's own spec (fields named spec.*), or null. */
    private static String specError(IPsecGateway gw) {
        GatewaySpec spec = gw.getSpec();
        if (spec == null || spec.ike == null || spec.ike.dos == null) {
            return null;
        }
        try {
            ConfigValidator.dos(spec.ike.dos);
            return null;
        } catch (ConfigException e) {
            return "spec." + e.getMessage();
        }
    }
}
