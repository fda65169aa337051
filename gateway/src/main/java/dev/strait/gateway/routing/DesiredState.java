package dev.strait.gateway.routing;

import dev.strait.api.net.Cidr;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the agent wants on one node; the reconciler makes the node match it and removes what it owns beyond it.
 *
 * @param overlay the VXLAN link, when some peer node is not one L2 hop away
 * @param routes  routes, all with protocol {@link Ownership#ROUTE_PROTOCOL}
 * @param rules   on the gateway node: the remote subnets whose packets look up {@link Ownership#RETURN_TABLE}
 * @param chains  Strait's own iptables chains, each hooked first into one built-in chain
 */
public record DesiredState(Optional<VxlanLink> overlay, List<Route> routes, List<Cidr> rules, List<Chain> chains) {
    public DesiredState {
        Objects.requireNonNull(overlay, "overlay");
        routes = List.copyOf(routes);
        rules = List.copyOf(rules);
        chains = List.copyOf(chains);
    }

    /**
     * A route to dst through a neighbour: via its node IP on the uplink, or via its overlay address on the VXLAN
     * link ({@code dev} set, onlink). mtu makes the node itself answer a too-big DF packet with ICMP frag-needed.
     * table: {@link Ownership#MAIN_TABLE} toward the gateway node, {@link Ownership#RETURN_TABLE} for the way back.
     */
    public record Route(Cidr dst, String via, String dev, int mtu, int table) {
        public Route {
            Objects.requireNonNull(dst, "dst");
            Objects.requireNonNull(via, "via");
        }

        /** Identifies the route on the node: the agent has at most one per destination and table. */
        public String key() {
            return table + " " + dst;
        }
    }

    /**
     * The overlay link: one VXLAN device, an address in 240.0.0.0/8 made of the node IP's low 24 bits (as Submariner
     * does), and an all-zeros FDB entry per peer node so that ARP and unknown unicast reach each of them.
     */
    public record VxlanLink(String name, int vni, int port, String localIp, int mtu, String address,
            List<String> peers) {
        public VxlanLink {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(localIp, "localIp");
            Objects.requireNonNull(address, "address");
            peers = List.copyOf(peers);
        }
    }

    /** One chain of Strait's in an iptables table, jumped to from the first rule of a built-in chain. */
    public record Chain(String table, String name, String hook, List<String> rules) {
        public Chain {
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(hook, "hook");
            rules = List.copyOf(rules);
        }
    }
}
