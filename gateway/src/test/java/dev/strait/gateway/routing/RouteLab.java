package dev.strait.gateway.routing;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.linux.NetNs;
import dev.strait.gateway.testing.NodeNamespaces;
import dev.strait.gateway.testing.TempDirs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Two "nodes" on one L2 segment, a "pod" behind each node's bridge and a "remote site" behind stand-in tunnel links,
 * all network namespaces named route-*-PID (this JVM's: two test runs at once each have their own), no kubelet:
 *
 * <pre>
 *   route-p1 10.244.1.2 -- cni0 [route-n1 10.203.0.1] eth0 --+-- br0 [route-sw]
 *   route-p2 10.244.2.2 -- cni0 [route-n2 10.203.0.2] eth0 --+
 *   route-n1 strait0 169.254.100.1/30 -- t1 [route-rem 10.20.0.10 on lo] t2 -- strait0 169.254.200.1/30 route-n2
 * </pre>
 *
 * Every link is created inside a lab namespace, so link names, addresses, routes and iptables rules are the lab's own.
 *
 * The stand-in "strait0" links play the gateway's TUN device (MTU 1400): the active gateway node has the route to
 * the remote LAN through it (proto static, metric 0, as the gateway adds it), and the remote site routes the pod
 * network back over the same link. Each node masquerades its pods' traffic leaving 10.244.0.0/16, as a CNI with
 * ipMasq does, and checks reverse paths strictly (rp_filter=1).
 */
final class RouteLab implements AutoCloseable {
    static final String SW = NetNs.perRun("route-sw");
    static final String N1 = NetNs.perRun("route-n1");
    static final String N2 = NetNs.perRun("route-n2");
    static final String P1 = NetNs.perRun("route-p1");
    static final String P2 = NetNs.perRun("route-p2");
    static final String REM = NetNs.perRun("route-rem");
    static final List<String> ALL = List.of(SW, N1, N2, P1, P2, REM);
    /** The lab's iptables backend, for its CNI stand-in rule and the agent alike (-Droute.iptables=iptables-legacy). */
    static final String IPTABLES = System.getProperty("route.iptables", "iptables-nft");
    static final String REMOTE_HOST = "10.20.0.10";
    static final int TUNNEL_MTU = 1400;
    static final Map<String, String> NODE_IP = Map.of(N1, "10.203.0.1", N2, "10.203.0.2");
    static final Map<String, String> POD_IP = Map.of(N1, "10.244.1.2", N2, "10.244.2.2");
    static final Map<String, String> STANDIN = Map.of(N1, "169.254.100", N2, "169.254.200");

    private final List<Process> background = new ArrayList<>();
    /** Output of the lab's captures and background commands; removed with the lab. */
    private final Path files;

    private RouteLab() throws IOException {
        files = Files.createTempDirectory("route-lab-");
    }

    /** Root itself is checked by {@code @Privileged}; this checks the tools the lab runs. */
    static boolean usable() {
        try {
            Shell s = Shell.local();
            return s.run("ip", "-V").ok() && s.run(IPTABLES, "-V").ok() && s.run("tcpdump", "--version").ok()
                    && s.run("iperf3", "--version").ok();
        } catch (IOException e) {
            return false;
        }
    }

    static Shell in(String ns) {
        return NodeNamespaces.in(ns);
    }

    static RouteLab up() throws IOException {
        RouteLab lab = new RouteLab();
        try {
            lab.build();
            return lab;
        } catch (IOException | RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    private void build() throws IOException {
        for (String ns : ALL) {
            NodeNamespaces.create(ns);
        }
        Shell h = Shell.local();
        in(SW).must("ip", "link", "add", "br0", "type", "bridge");
        in(SW).must("ip", "link", "set", "br0", "up");
        in(REM).must("ip", "addr", "add", REMOTE_HOST + "/32", "dev", "lo"); // the remote LAN's host
        int n = 1;
        for (String node : List.of(N1, N2)) {
            Shell s = in(node);
            // uplink
            h.must("ip", "-n", SW, "link", "add", "n" + n, "type", "veth", "peer", "name", "eth0", "netns", node);
            in(SW).must("ip", "link", "set", "n" + n, "master", "br0", "up");
            s.must("ip", "addr", "add", NODE_IP.get(node) + "/24", "dev", "eth0");
            s.must("ip", "link", "set", "eth0", "up");
            NodeNamespaces.podBehindBridge(node, node.equals(N1) ? P1 : P2, n, IPTABLES);
            // stand-in tunnel link toward the remote site
            s.must("ip", "link", "add", "strait0", "mtu", String.valueOf(TUNNEL_MTU), "type", "veth", "peer", "name",
                    "t" + n, "mtu", String.valueOf(TUNNEL_MTU), "netns", REM);
            s.must("ip", "addr", "add", STANDIN.get(node) + ".1/30", "dev", "strait0");
            s.must("ip", "link", "set", "strait0", "up");
            in(REM).must("ip", "addr", "add", STANDIN.get(node) + ".2/30", "dev", "t" + n);
            in(REM).must("ip", "link", "set", "t" + n, "up");
            n++;
        }
    }

    /** The gateway on node carries the tunnel: its TUN route to the remote LAN, and the remote's route back. */
    void tunnelOn(String node) throws IOException {
        for (String other : List.of(N1, N2)) {
            in(other).run("ip", "route", "del", "10.20.0.0/24", "proto", "static");
        }
        in(node).must("ip", "route", "add", "10.20.0.0/24", "via", STANDIN.get(node) + ".2", "dev", "strait0",
                "proto", "static");
        in(REM).must("ip", "route", "replace", "10.244.0.0/16", "via", STANDIN.get(node) + ".1");
    }

    static ClusterView view(String localNode, String activeNode) {
        return new ClusterView(localNode, Map.of(
                N1, new ClusterView.Node(N1, NODE_IP.get(N1), List.of(Cidr.parse("10.244.1.0/24"))),
                N2, new ClusterView.Node(N2, NODE_IP.get(N2), List.of(Cidr.parse("10.244.2.0/24")))),
                List.of(new ClusterView.GatewayPath("default/edge", activeNode, List.of(Cidr.parse("10.20.0.0/24")),
                        List.of(Cidr.parse("10.244.0.0/16")))));
    }

    /** One agent pass on node, as a freshly started agent does it (new objects, nothing remembered). */
    static void agent(String node, String activeNode, RoutingSettings settings) throws IOException {
        Shell s = in(node);
        IpRoute ip = new IpRoute(s);
        HostFacts facts = ip.hostFacts(NODE_IP.get(node));
        new RouteReconciler(ip, new Iptables(s, IPTABLES))
                .apply(DesiredStateBuilder.build(view(node, activeNode), facts, settings));
    }

    static void cleanup(String node) throws IOException {
        Shell s = in(node);
        new RouteReconciler(new IpRoute(s), new Iptables(s, IPTABLES)).cleanup();
    }

    static String snapshot(String node) throws IOException {
        return NodeNamespaces.snapshot(node, IPTABLES);
    }

    /** A new empty file in the lab's directory. */
    Path file(String prefix) throws IOException {
        return Files.createTempFile(files, prefix, ".txt");
    }

    /** Starts a command in the background; closed with the lab. */
    Process start(Path out, String ns, String... argv) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(argv));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        background.add(p);
        return p;
    }

    /** tcpdump on an interface, returned once it listens; its text output goes to the returned file. */
    Path capture(String ns, String dev, int count, String filter) throws IOException {
        Path out = file("cap");
        List<String> argv = new ArrayList<>(List.of("tcpdump", "-i", dev, "-n", "-l", "-v", "-c",
                String.valueOf(count)));
        argv.addAll(List.of(filter.split(" ")));
        start(out, ns, argv.toArray(String[]::new));
        waitFor(out, s -> s.contains("listening on"), Duration.ofSeconds(20));
        return out;
    }

    static String waitFor(Path file, Predicate<String> done, Duration timeout) throws IOException {
        Instant end = Instant.now().plus(timeout);
        while (true) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            if (done.test(text)) {
                return text;
            }
            if (Instant.now().isAfter(end)) {
                throw new AssertionError("timed out waiting on " + file + ":\n" + text);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
    }

    private static void deleteNamespaces() throws IOException {
        for (String ns : ALL) {
            NodeNamespaces.delete(ns);
        }
    }

    @Override
    public void close() throws IOException {
        for (Process p : background) {
            p.destroyForcibly();
        }
        try {
            deleteNamespaces();
        } finally {
            TempDirs.delete(files);
        }
    }
}
