package dev.strait.gateway.routing;

import dev.strait.gateway.routing.DesiredState.Route;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes one node match a {@link DesiredState}, idempotently, touching only what {@link Ownership} marks as Strait's.
 * The order keeps traffic flowing while things change: the masquerade exemption and MSS clamp first (a flow that
 * starts now is never SNATed), then the overlay, then routes replaced in place, and only then what is no longer
 * wanted. A restarted agent computes the same state and so changes nothing.
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
            wanted.add(r.dst().toString());
        }
        for (String dst : ip.ownedRoutes()) {
            if (!wanted.contains(dst)) {
                LOG.info("removing route to {}: no longer wanted", dst);
                ip.deleteRoute(dst);
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
        for (String dst : ip.ownedRoutes()) {
            ip.deleteRoute(dst);
        }
        for (String link : ip.ownedLinks()) {
            ip.deleteLink(link);
        }
        iptables.removeAll();
    }
}
