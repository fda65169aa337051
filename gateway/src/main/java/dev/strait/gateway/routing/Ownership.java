package dev.strait.gateway.routing;

import java.util.List;

/**
 * How the agent recognises what is its own, so that it changes and removes only that: routes by their protocol
 * number, rules by the table they look up, links by name, iptables chains by name (and the one jump into each).
 */
public final class Ownership {
    /**
     * rtnetlink protocol of every route the agent adds ("proto 83"; unassigned in iproute2's rt_protos). Deleting by
     * protocol leaves the CNI's routes and the gateway's own TUN routes (proto static) alone.
     */
    public static final int ROUTE_PROTOCOL = 83;
    /**
     * Metric of the agent's routes. The gateway's TUN routes have metric 0, so on a node where a standby gateway
     * becomes active its own route wins at once, before this agent has even seen the lease change.
     */
    public static final int ROUTE_METRIC = 50;
    /** The main routing table: routes toward the gateway node. */
    public static final int MAIN_TABLE = 254;
    /**
     * The gateway node's return-path table: each other node's pod CIDR via that node. Looked up by the rules
     * "from &lt;remote subnet&gt; lookup 83" only, so replies from the remote site take the agent's path even where the
     * CNI routes pod CIDRs through a device of its own (flannel's VXLAN, say), and the reverse-path check, which looks
     * up the swapped flow through the same rules, agrees with it.
     */
    public static final int RETURN_TABLE = 83;
    /** Priority of the agent's rules: after local (0), well before main (32766). */
    public static final int RULE_PRIORITY = 5083;
    public static final String OVERLAY_LINK = "strait-vx";
    /** Names of the links the agent may delete: its overlay link (and older variants of it). */
    public static final String LINK_PREFIX = "strait-vx";
    public static final String CHAIN_PREFIX = "STRAIT-";
    public static final String NAT_CHAIN = "STRAIT-POSTROUTING";
    public static final String MSS_CHAIN = "STRAIT-FORWARD";
    /** Every (table, chain, hook) the agent may create; cleanup removes each. */
    public static final List<DesiredState.Chain> CHAINS = List.of(
            new DesiredState.Chain("nat", NAT_CHAIN, "POSTROUTING", List.of()),
            new DesiredState.Chain("mangle", MSS_CHAIN, "FORWARD", List.of()));

    private Ownership() {
    }
}
