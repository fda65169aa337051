package dev.strait.operator.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.strait.api.v1alpha1.TunnelStatus;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RouteAgentConditionTest {
    private static final List<Node> NODES = List.of(node("a"), node("b"), node("c"));

    @Test
    void disabledAgentIsUnknownNotFalse() {
        TunnelStatus.Condition c = RouteAgentCondition.disabled();
        assertEquals(RouteAgentCondition.TYPE, c.type);
        assertEquals("Unknown", c.status);
        assertEquals("RouteAgentDisabled", c.reason);
    }

    @Test
    void trueWhenEveryNodesAgentIsReady() {
        TunnelStatus.Condition c = RouteAgentCondition.of(NODES, List.of(agent("a", true), agent("b", true),
                agent("c", true)));
        assertEquals("True", c.status);
        assertEquals("AllNodesRouted", c.reason);
        assertEquals("route agents ready on 3/3 nodes", c.message);
    }

    @Test
    void namesTheNodesWhoseAgentIsNotReadyOrMissing() {
        TunnelStatus.Condition c = RouteAgentCondition.of(NODES, List.of(agent("a", true), agent("b", false)));
        assertEquals("False", c.status);
        assertEquals("RouteAgentNotReady", c.reason);
        assertEquals("route agents ready on 1/3 nodes; not ready on b; no agent on c", c.message);
        assertEquals("RouteAgentMissing", RouteAgentCondition.of(NODES, List.of(agent("a", true), agent("b", true)))
                .reason);
    }

    @Test
    void noAgentsAtAllSaysSoAndManyNodesAreCounted() {
        assertEquals("NoRouteAgents", RouteAgentCondition.of(NODES, List.of()).reason);
        List<Node> many = IntStream.range(0, 8).mapToObj(i -> node("n" + i)).toList();
        TunnelStatus.Condition c = RouteAgentCondition.of(many, List.of(agent("n0", true)));
        assertEquals("route agents ready on 1/8 nodes; no agent on n1, n2, n3, n4, n5 and 2 more", c.message);
    }

    private static Node node(String name) {
        return new NodeBuilder().withNewMetadata().withName(name).endMetadata().build();
    }

    private static Pod agent(String node, boolean ready) {
        return new PodBuilder().withNewMetadata().withName("agent-" + node).endMetadata()
                .withNewSpec().withNodeName(node).endSpec()
                .withNewStatus().addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .endStatus().build();
    }
}
