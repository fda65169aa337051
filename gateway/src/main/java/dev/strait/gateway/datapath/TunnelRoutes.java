package dev.strait.gateway.datapath;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.linux.RtNetlink;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The routes of each tunnel's remote subnets through the TUN device (rtnetlink), added once and removed with it. */
final class TunnelRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(TunnelRoutes.class);

    private final RtNetlink netlink;
    private final int ifIndex;
    private final Map<String, List<Cidr>> routes = new HashMap<>();

    TunnelRoutes(RtNetlink netlink, int ifIndex) {
        this.netlink = netlink;
        this.ifIndex = ifIndex;
    }

    /** Adds the routes of remote subnets not routed yet; a refused route fails the call (the rest stay). */
    synchronized void add(String tunnel, List<Cidr> remoteSubnets) {
        List<Cidr> have = routes.computeIfAbsent(tunnel, k -> new ArrayList<>());
        for (Cidr c : remoteSubnets) {
            if (!have.contains(c)) {
                try {
                    netlink.addRoute(ifIndex, c);
                    have.add(c);
                } catch (IOException e) {
                    throw new IllegalStateException("tunnel " + tunnel + ": " + e.getMessage(), e);
                }
            }
        }
    }

    synchronized void remove(String tunnel) {
        List<Cidr> have = routes.remove(tunnel);
        if (have == null) {
            return;
        }
        for (Cidr c : have) {
            try {
                netlink.deleteRoute(ifIndex, c);
            } catch (IOException e) {
                LOG.warn("tunnel {}: {}", tunnel, e.getMessage());
            }
        }
    }

    synchronized void removeAll() {
        for (String t : List.copyOf(routes.keySet())) {
            remove(t);
        }
    }
}
