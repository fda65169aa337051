package dev.strait.gateway.testing;

import dev.strait.gateway.routing.Shell;
import java.io.IOException;
import java.util.List;

/**
 * Shared by the route agent's namespace tests (gateway) and ClusterRoutingIT (e2e): "nodes" and "pods" as network
 * namespaces, laid out as the bridge CNI does it, and a snapshot of what a route agent could have changed.
 */
public final class NodeNamespaces {
    private NodeNamespaces() {
    }

    /** Runs commands inside namespace ns. */
    public static Shell in(String ns) {
        return new Shell(List.of("ip", "netns", "exec", ns));
    }

    /** A fresh namespace with lo up and IPv6 off (its link-local routes would appear in snapshots whenever DAD ends). */
    public static void create(String ns) throws IOException {
        delete(ns);
        Shell.local().must("ip", "netns", "add", ns);
        in(ns).must("ip", "link", "set", "lo", "up");
        for (String k : List.of("all", "default")) {
            in(ns).mustWithInput("1\n", "tee", "/proc/sys/net/ipv6/conf/" + k + "/disable_ipv6");
        }
    }

    /** Ends what still runs in ns (processes the test started there) and deletes it. */
    public static void delete(String ns) throws IOException {
        for (String pid : Shell.local().run("ip", "netns", "pids", ns).out().lines().toList()) {
            Shell.local().run("kill", "-9", pid.strip());
        }
        Shell.local().run("ip", "netns", "del", ns);
    }

    /**
     * Makes node a Kubernetes node as far as routing goes: forwarding on, strict rp_filter, kubelet's canary chain in
     * mangle, and pod namespace {@code pod} at 10.244.n.2 behind bridge cni0 (10.244.n.1/24), whose traffic leaving
     * 10.244.0.0/16 is masqueraded, as a CNI with ipMasq does.
     */
    public static void podBehindBridge(String node, String pod, int n, String iptables) throws IOException {
        Shell s = in(node);
        for (String k : List.of("all", "default")) {
            s.mustWithInput("1\n", "tee", "/proc/sys/net/ipv4/conf/" + k + "/rp_filter");
        }
        s.mustWithInput("1\n", "tee", "/proc/sys/net/ipv4/ip_forward");
        s.must("ip", "link", "add", "cni0", "type", "bridge");
        s.must("ip", "addr", "add", "10.244." + n + ".1/24", "dev", "cni0");
        s.must("ip", "link", "set", "cni0", "up");
        s.must("ip", "link", "add", "veth-pod", "type", "veth", "peer", "name", "eth0", "netns", pod);
        s.must("ip", "link", "set", "veth-pod", "master", "cni0", "up");
        in(pod).must("ip", "addr", "add", "10.244." + n + ".2/24", "dev", "eth0");
        in(pod).must("ip", "link", "set", "eth0", "up");
        in(pod).must("ip", "route", "add", "default", "via", "10.244." + n + ".1");
        // On a real node the mangle table exists before the agent comes (kubelet's canary) and stays after it.
        s.must(iptables, "-t", "mangle", "-N", "KUBE-KUBELET-CANARY");
        s.must(iptables, "-t", "nat", "-A", "POSTROUTING", "-s", "10.244." + n + ".0/24", "!", "-d", "10.244.0.0/16",
                "-j", "MASQUERADE");
    }

    /** The namespace's IPv4 routes (every table), rules, links and iptables rules, without counters and timestamps. */
    public static String snapshot(String ns, String iptables) throws IOException {
        Shell s = in(ns);
        return String.join("\n", s.must("ip", "-4", "route", "show", "table", "all"), s.must("ip", "rule"),
                s.must("ip", "-o", "link").replaceAll(" state \\S+", ""),
                String.join("\n", s.must(iptables + "-save").lines().filter(l -> !l.startsWith("#"))
                        .map(l -> l.replaceAll("\\[\\d+:\\d+\\]", "")).toList()));
    }
}
