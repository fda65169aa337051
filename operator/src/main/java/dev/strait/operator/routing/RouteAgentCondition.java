package dev.strait.operator.routing;

import dev.strait.api.v1alpha1.TunnelStatus;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The IPsecGateway condition {@code RoutesReady}: whether every node's route agent has applied its routes. Pure: from
 * the nodes and the route agent pods (label {@code app.kubernetes.io/component=route-agent}); an agent pod is Ready
 * exactly when its last pass applied the node's routes (its /readyz probe). The reconciler sets it beside
 * ConfigRendered; lastTransitionTime and observedGeneration are the caller's.
 */
public final class RouteAgentCondition {
    public static final String TYPE = "RoutesReady";
    public static final String COMPONENT_LABEL = "app.kubernetes.io/component";
    public static final String COMPONENT = "route-agent";
    private static final int NAMED = 5;

    private RouteAgentCondition() {
    }

    /**
     * The operator runs without a route agent namespace (chart value routeAgent.enabled=false): nothing watches the
     * agents, so the condition is Unknown rather than absent, and says why.
     */
    public static TunnelStatus.Condition disabled() {
        TunnelStatus.Condition c = new TunnelStatus.Condition();
        c.type = TYPE;
        c.status = "Unknown";
        c.reason = "RouteAgentDisabled";
        c.message = "the route agent is disabled (chart value routeAgent.enabled): only the gateway's own node reaches "
                + "the remote subnets";
        return c;
    }

    public static TunnelStatus.Condition of(List<Node> nodes, List<Pod> agentPods) {
        Map<String, Boolean> readyByNode = new TreeMap<>();
        for (Node n : nodes) {
            readyByNode.put(n.getMetadata().getName(), null); // null: no agent pod there
        }
        for (Pod p : agentPods) {
            String node = nodeName(p);
            if (node != null && readyByNode.containsKey(node) && p.getMetadata().getDeletionTimestamp() == null) {
                readyByNode.merge(node, ready(p), (a, b) -> a || b);
            }
        }
        List<String> missing = new ArrayList<>();
        List<String> notReady = new ArrayList<>();
        readyByNode.forEach((node, ready) -> {
            if (ready == null) {
                missing.add(node);
            } else if (!ready) {
                notReady.add(node);
            }
        });
        TunnelStatus.Condition c = new TunnelStatus.Condition();
        c.type = TYPE;
        int total = readyByNode.size();
        int ok = total - missing.size() - notReady.size();
        if (agentPods.isEmpty()) {
            c.status = "False";
            c.reason = "NoRouteAgents";
            c.message = "no route agent runs (chart value routeAgent.enabled): only the gateway's own node reaches "
                    + "the remote subnets";
        } else if (ok == total) {
            c.status = "True";
            c.reason = "AllNodesRouted";
            c.message = "route agents ready on " + ok + "/" + total + " nodes";
        } else {
            c.status = "False";
            c.reason = notReady.isEmpty() ? "RouteAgentMissing" : "RouteAgentNotReady";
            List<String> parts = new ArrayList<>();
            if (!notReady.isEmpty()) {
                parts.add("not ready on " + names(notReady));
            }
            if (!missing.isEmpty()) {
                parts.add("no agent on " + names(missing));
            }
            c.message = "route agents ready on " + ok + "/" + total + " nodes; " + String.join("; ", parts);
        }
        return c;
    }

    /** Whether an update of an agent pod leaves everything this condition reads unchanged. */
    public static boolean sameRoutingState(Pod a, Pod b) {
        return Objects.equals(nodeName(a), nodeName(b)) && ready(a) == ready(b)
                && Objects.equals(a.getMetadata().getDeletionTimestamp(), b.getMetadata().getDeletionTimestamp());
    }

    private static String nodeName(Pod p) {
        return p.getSpec() == null ? null : p.getSpec().getNodeName();
    }

    private static boolean ready(Pod p) {
        return p.getStatus() != null && p.getStatus().getConditions() != null && p.getStatus().getConditions()
                .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static String names(List<String> nodes) {
        return nodes.size() <= NAMED ? String.join(", ", nodes)
                : String.join(", ", nodes.subList(0, NAMED)) + " and " + (nodes.size() - NAMED) + " more";
    }
}
