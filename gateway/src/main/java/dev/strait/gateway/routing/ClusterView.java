package dev.strait.gateway.routing;

import dev.strait.api.net.Cidr;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the route agent knows about the cluster, already read from the API: the nodes and, per gateway, which node
 * carries its tunnels now and which subnets those tunnels join. Pure data; {@link DesiredStateBuilder} turns it into
 * routes and rules for one node.
 *
 * @param localNode the node this agent runs on (a key of {@code nodes})
 * @param nodes     every node by name: its internal IP and pod CIDRs
 * @param gateways  one entry per IPsecGateway that has tunnels
 */
public record ClusterView(String localNode, Map<String, Node> nodes, List<GatewayPath> gateways) {
    public ClusterView {
        Objects.requireNonNull(localNode, "localNode");
        nodes = Map.copyOf(nodes);
        gateways = List.copyOf(gateways);
    }

    public Optional<Node> local() {
        return Optional.ofNullable(nodes.get(localNode));
    }

    /** A node: its InternalIP (the address other nodes reach it on) and the pod CIDRs it hands out. */
    public record Node(String name, String ip, List<Cidr> podCidrs) {
        public Node {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(ip, "ip");
            podCidrs = List.copyOf(podCidrs);
        }
    }

    /**
     * One IPsecGateway as seen by the agents.
     *
     * @param name          namespace/name, for logs
     * @param activeNode    the node of the replica that holds the lease (or the only running replica); null when none
     * @param remoteSubnets the union of its tunnels' remote subnets
     * @param localSubnets  the union of its tunnels' local subnets (the cluster side: pod CIDRs)
     */
    public record GatewayPath(String name, String activeNode, List<Cidr> remoteSubnets, List<Cidr> localSubnets) {
        public GatewayPath {
            Objects.requireNonNull(name, "name");
            remoteSubnets = List.copyOf(remoteSubnets);
            localSubnets = List.copyOf(localSubnets);
        }
    }
}
