package dev.strait.gateway.routing;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.routing.DesiredState.Route;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes one node match a {@link DesiredState}, idempotently, touching only what {@link Ownership} marks as Strait's.
 * The order keeps traffic flowing while things change: the masquerade exemption and MSS clamp first (a flow that
 * starts now is never SNATed), then the overlay, then routes replaced in place, then rules, and only then what is no
 * longer wanted. A restarted agent computes the same state and so changes nothing.
 */
public final class RouteReconciler {
    private static final Logger LOG = LoggerFactory.getLogger(RouteReconciler.class);
    private final IpRoute ip;
    private final Iptables iptables;

    public RouteReconciler(IpRoute ip, Iptables iptables) {
        this.ip = ip;
        this.iptables = iptables;
    }

    public void apply(DesiredState desired) throws IOException {
        iptables.apply(desired.chains());
        if (desired.overlay().isPresent()) {
            ip.ensureOverlay(desired.overlay().get());
        }
        Set<String> wanted = new HashSet<>();
        for (Route r : desired.routes()) {
            ip.replace(r);
            wanted.add(r.key());
        }
        // Rules after the routes they lead to, so a rule never sends a packet into an empty table.
        List<String> rules = ip.ownedRules();
        for (Cidr from : desired.rules()) {
            if (!rules.contains(from.toString())) {
                ip.addRule(from);
            }
        }
        for (String from : rules) {
            if (desired.rules().stream().noneMatch(c -> c.toString().equals(from))) {
                LOG.info("removing rule from {}: no longer wanted", from);
                ip.deleteRule(from);
            }
        }
        for (String key : ip.ownedRoutes()) {
            if (!wanted.contains(key)) {
                LOG.info("removing route {}: no longer wanted", key);
                ip.deleteRoute(key);
            }
        }
        for (String link : ip.ownedLinks()) {
            if (desired.overlay().map(o -> !o.name().equals(link)).orElse(true)) {
                LOG.info("removing link {}: no longer wanted", link);
                ip.deleteLink(link);
            }
        }
    }

    /** Removes every route, link and iptables chain of Strait's from the node (uninstall). */
    public void cleanup() throws IOException {
        for (String from : ip.ownedRules()) {
            ip.deleteRule(from);
        }
        for (String dst : ip.ownedRoutes()) {
            ip.deleteRoute(dst);
        }
        for (String link : ip.ownedLinks()) {
            ip.deleteLink(link);
        }
        iptables.removeAll();
    }
}
