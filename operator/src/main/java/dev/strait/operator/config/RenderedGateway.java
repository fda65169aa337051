package dev.strait.operator.config;

import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.operator.crd.IPsecGateway;
import dev.strait.operator.crd.IPsecTunnel;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * One reconcile's decision for a gateway: every tunnel's verdict and the config rendered from the accepted ones.
 * Computed once by the reconciler, then read by the dependent resources from the workflow context, so that the config
 * Secret and the Deployment come from the same snapshot of tunnels and Secrets. Holds PSKs: never log it.
 *
 * @param active          the gateway's tunnels that are not being deleted
 * @param verdicts        by tunnel name
 * @param yaml            the gateway's config file
 * @param tunnelNames     the tunnels in the config, sorted
 * @param files           certificate files beside the config (name -> PEM)
 * @param clusterPodCidrs what tunnels without local.subnets carry on this side
 * @param defaultImage    the gateway image when the spec sets none
 */
public record RenderedGateway(List<IPsecTunnel> active, Map<String, Verdict> verdicts, String yaml,
                              List<String> tunnelNames, Map<String, String> files, List<String> clusterPodCidrs,
                              String defaultImage) {
    private static final String KEY = RenderedGateway.class.getName();

    public static RenderedGateway render(IPsecGateway gw, List<IPsecTunnel> active, Function<String, Secret> secrets,
                                  List<String> clusterPodCidrs, String defaultImage) {
        Map<String, Verdict> verdicts = TunnelValidator.check(active, secrets, clusterPodCidrs);
        List<TunnelConfig> accepted = new ArrayList<>();
        Map<String, String> files = new TreeMap<>();
        verdicts.values().forEach(v -> {
            if (v instanceof Verdict.Accepted a) {
                accepted.add(a.config());
                files.putAll(a.files());
            }
        });
        var config = ConfigRenderer.config(gw, accepted);
        return new RenderedGateway(active, verdicts, ConfigRenderer.yaml(config),
                config.tunnels.stream().map(t -> t.name).toList(), files, clusterPodCidrs, defaultImage);
    }

    public int accepted() {
        return tunnelNames.size();
    }

    public void putInto(Context<IPsecGateway> context) {
        context.managedWorkflowAndDependentResourceContext().put(KEY, this);
    }

    /** What the reconciler rendered for this pass; the dependents run only after it did. */
    public static RenderedGateway of(Context<IPsecGateway> context) {
        return context.managedWorkflowAndDependentResourceContext().getMandatory(KEY, RenderedGateway.class);
    }

    @Override
    public String toString() {
        return "RenderedGateway[tunnels=" + tunnelNames + "]";
    }
}
