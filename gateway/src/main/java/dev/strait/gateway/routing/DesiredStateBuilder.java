package dev.strait.gateway.routing;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.routing.ClusterView.GatewayPath;
import dev.strait.gateway.routing.ClusterView.Node;
import dev.strait.gateway.routing.DesiredState.Chain;
import dev.strait.gateway.routing.DesiredState.Route;
import dev.strait.gateway.routing.DesiredState.VxlanLink;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns the cluster view into one node's routes, overlay and iptables chains. Pure: no I/O, same input, same output.
 *
 * <p>On a node that does not carry a gateway's tunnels: the gateway's remote subnets route to the active gateway node.
 * On the active gateway node: the gateway's own TUN routes (added by the gateway, metric 0) carry remote-bound traffic,
 * and the agent adds the return path, each other node's pod CIDR via that node in its own table, looked up for
 * packets from the remote subnets, so that replies come back the way the request went (no asymmetric path, and
 * rp_filter's strict check passes on every hop). On every node: pod/remote traffic is exempt from masquerading and its
 * TCP MSS is clamped on SYN and SYN-ACK.
 *
 * <p>IPv4 only for now: IPv6 subnets are skipped (they would need ip6tables and a v6 overlay address).
 */
public final class DesiredStateBuilder {
    /** VXLAN over IPv4: outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14. */
    static final int VXLAN_OVERHEAD = 50;
    /** IPv4 + TCP headers without options: MSS = MTU - 40. */
    static final int TCP_IP_HEADERS = 40;

    private DesiredStateBuilder() {
    }

    public static DesiredState build(ClusterView view, HostFacts host, RoutingSettings settings) {
        Node local = view.local().orElseThrow(() ->
                new IllegalArgumentException("node " + view.localNode() + " is not in the cluster view"));
        Map<String, Route> routes = new TreeMap<>(); // by table and destination: first gateway (by name) wins
        Map<String, Cidr> rules = new TreeMap<>();
        Set<String> overlayPeers = new LinkedHashSet<>();
        List<GatewayPath> gateways = view.gateways().stream().sorted(Comparator.comparing(GatewayPath::name)).toList();
        for (GatewayPath g : gateways) {
            Node active = g.activeNode() == null ? null : view.nodes().get(g.activeNode());
            if (active == null) {
                continue; // no replica carries the tunnels: no path to route to (the rules below stay)
            }
            if (active.name().equals(local.name())) {
                for (Cidr remote : v4(g.remoteSubnets())) {
                    rules.putIfAbsent(remote.toString(), remote);
                }
                for (Node other : view.nodes().values().stream().sorted(Comparator.comparing(Node::name)).toList()) {
                    if (other.name().equals(local.name())) {
                        continue;
                    }
                    for (Cidr pods : v4(other.podCidrs())) {
                        if (v4(g.localSubnets()).stream().anyMatch(l -> l.overlaps(pods))) {
                            Route r = via(other, pods, host, settings, overlayPeers, Ownership.RETURN_TABLE);
                            routes.putIfAbsent(r.key(), r);
                        }
                    }
                }
            } else {
                for (Cidr remote : v4(g.remoteSubnets())) {
                    Route r = via(active, remote, host, settings, overlayPeers, Ownership.MAIN_TABLE);
                    routes.putIfAbsent(r.key(), r);
                }
            }
        }
        Optional<VxlanLink> overlay = overlayPeers.isEmpty() ? Optional.empty() : Optional.of(new VxlanLink(
                Ownership.OVERLAY_LINK, settings.vni(), settings.vxlanPort(), local.ip(), overlayMtu(host),
                overlayAddress(local.ip()) + "/8", List.copyOf(overlayPeers)));
        return new DesiredState(overlay, List.copyOf(routes.values()), List.copyOf(rules.values()),
                chains(gateways, mss(host, settings, overlay)));
    }

    private static Route via(Node peer, Cidr dst, HostFacts host, RoutingSettings settings, Set<String> overlayPeers,
            int table) {
        boolean direct = switch (settings.mode()) {
            case Direct -> true;
            case Vxlan -> false;
            case Auto -> host.uplinkSubnet().contains(Cidr.parseAddress(peer.ip()).getAddress());
        };
        if (direct) {
            return new Route(dst, peer.ip(), null, Math.min(settings.tunnelMtu(), host.uplinkMtu()), table);
        }
        overlayPeers.add(peer.ip());
        return new Route(dst, overlayAddress(peer.ip()), Ownership.OVERLAY_LINK,
                Math.min(settings.tunnelMtu(), overlayMtu(host)), table);
    }

    /** MSS for SYN and SYN-ACK: the narrowest hop on the path is the tunnel, or the overlay if that is narrower. */
    private static int mss(HostFacts host, RoutingSettings settings, Optional<VxlanLink> overlay) {
        int mtu = overlay.map(o -> Math.min(o.mtu(), settings.tunnelMtu())).orElse(settings.tunnelMtu());
        return Math.min(mtu, host.uplinkMtu()) - TCP_IP_HEADERS;
    }

    private static int overlayMtu(HostFacts host) {
        return host.uplinkMtu() - VXLAN_OVERHEAD;
    }

    /** 240.0.0.0/8 (reserved, never routed) plus the node IP's low 24 bits: unique while the nodes share a /8. */
    static String overlayAddress(String nodeIp) {
        byte[] b = Cidr.parseAddress(nodeIp).getAddress();
        if (b.length != 4) {
            throw new IllegalArgumentException("the overlay needs an IPv4 node address, not " + nodeIp);
        }
        return "240." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
    }

    /**
     * nat: ACCEPT ends the nat POSTROUTING walk, so no later MASQUERADE (the CNI's, kube-proxy's) rewrites a pod's
     * address on its way to or from a remote subnet. (RETURN would not do: it goes back to POSTROUTING, on to the
     * CNI's rules.) Scoped to local x remote subnets, so host traffic and Service traffic keep their usual SNAT.
     * mangle: TCPMSS --set-mss only ever lowers the MSS, on SYN and SYN-ACK alike, both directions.
     */
    private static List<Chain> chains(List<GatewayPath> gateways, int mss) {
        Set<String> nat = new LinkedHashSet<>();
        Set<String> mangle = new LinkedHashSet<>();
        for (GatewayPath g : gateways) {
            for (Cidr l : v4(g.localSubnets())) {
                for (Cidr r : v4(g.remoteSubnets())) {
                    for (String[] pair : new String[][] {{l.toString(), r.toString()}, {r.toString(), l.toString()}}) {
                        nat.add("-s " + pair[0] + " -d " + pair[1] + " -j ACCEPT");
                        mangle.add("-s " + pair[0] + " -d " + pair[1]
                                + " -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss " + mss);
                    }
                }
            }
        }
        Map<String, List<String>> byChain = new LinkedHashMap<>();
        byChain.put(Ownership.NAT_CHAIN, List.copyOf(nat));
        byChain.put(Ownership.MSS_CHAIN, List.copyOf(mangle));
        List<Chain> out = new ArrayList<>();
        for (Chain c : Ownership.CHAINS) {
            out.add(new Chain(c.table(), c.name(), c.hook(), byChain.get(c.name())));
        }
        return out;
    }

    private static List<Cidr> v4(List<Cidr> cidrs) {
        return cidrs.stream().filter(c -> !c.isIpv6()).toList();
    }
}
