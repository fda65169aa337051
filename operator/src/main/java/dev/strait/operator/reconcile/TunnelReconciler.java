package dev.strait.operator.reconcile;

import dev.strait.operator.OperatorMetrics;
import dev.strait.operator.config.Reason;
import dev.strait.operator.crd.IPsecGateway;
import dev.strait.operator.crd.IPsecTunnel;
import dev.strait.operator.resources.GatewayResources;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Owns a tunnel's lifecycle: holds the finalizer until the gateway's config no longer carries the tunnel, and
 * reports GatewayNotFound. Everything else about validity is decided by the GatewayReconciler, which alone sees
 * all tunnels of a gateway (overlaps) and alone writes the config.
 */
@ControllerConfiguration(name = TunnelReconciler.NAME)
public class TunnelReconciler implements Reconciler<IPsecTunnel>, Cleaner<IPsecTunnel> {
    public static final String NAME = "ipsectunnel";
    private static final long RECHECK_MILLIS = 500;

    private final OperatorMetrics metrics;
    private volatile InformerEventSource<IPsecGateway, IPsecTunnel> gateways;

    public TunnelReconciler(OperatorMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public List<EventSource<?, IPsecTunnel>> prepareEventSources(EventSourceContext<IPsecTunnel> context) {
        var primaries = context.getPrimaryCache();
        gateways = new InformerEventSource<>(InformerEventSourceConfiguration.from(IPsecGateway.class, IPsecTunnel.class)
                .withName("gateways")
                // Only a gateway appearing or vanishing changes what this controller reports.
                .withOnUpdateFilter((n, o) -> false)
                .withSecondaryToPrimaryMapper(gw -> primaries.list(gw.getMetadata().getNamespace(),
                                t -> GatewayEventSources.gatewayOf(t).filter(ResourceID.fromResource(gw)::equals).isPresent())
                        .map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build(), context);
        return List.of(gateways);
    }

    @Override
    public UpdateControl<IPsecTunnel> reconcile(IPsecTunnel tunnel, Context<IPsecTunnel> context) {
        return metrics.timeReconcile(NAME, () -> {
            var ref = GatewayEventSources.gatewayOf(tunnel);
            if (ref.isEmpty()) {
                TunnelStatusWriter.write(context.getClient(), tunnel, false, Reason.InvalidSpec.name(),
                        "spec.gatewayRef.name: is required");
            } else if (gateways.get(ref.get()).isEmpty()) {
                TunnelStatusWriter.write(context.getClient(), tunnel, false, Reason.GatewayNotFound.name(),
                        "spec.gatewayRef.name: IPsecGateway '" + ref.get().getName() + "' does not exist in namespace '"
                                + tunnel.getMetadata().getNamespace() + "'");
            }
            return UpdateControl.<IPsecTunnel>noUpdate();
        });
    }

    /** The finalizer stays until the gateway has re-rendered its config without this tunnel. */
    @Override
    public DeleteControl cleanup(IPsecTunnel tunnel, Context<IPsecTunnel> context) {
        var ref = GatewayEventSources.gatewayOf(tunnel);
        if (ref.isEmpty() || gateways.get(ref.get()).isEmpty()) {
            return DeleteControl.defaultDelete();
        }
        Secret config = context.getClient().secrets().inNamespace(tunnel.getMetadata().getNamespace())
                .withName(GatewayResources.configSecretName(ref.get().getName())).get();
        if (config == null || !carries(config, tunnel.getMetadata().getName())) {
            return DeleteControl.defaultDelete();
        }
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(RECHECK_MILLIS);
    }

    static boolean carries(Secret config, String tunnel) {
        Map<String, String> a = config.getMetadata().getAnnotations();
        String names = a == null ? null : a.get("strait.dev/tunnels");
        return names != null && !names.isEmpty() && Arrays.asList(names.split(",")).contains(tunnel);
    }
}
