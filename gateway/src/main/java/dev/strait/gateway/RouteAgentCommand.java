package dev.strait.gateway;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.kube.KubeClients;
import dev.strait.gateway.routing.ClusterWatch;
import dev.strait.gateway.routing.HealthServer;
import dev.strait.gateway.routing.IpRoute;
import dev.strait.gateway.routing.Iptables;
import dev.strait.gateway.routing.RouteAgent;
import dev.strait.gateway.routing.RouteReconciler;
import dev.strait.gateway.routing.RoutingSettings;
import dev.strait.gateway.routing.Shell;
import dev.strait.gateway.routing.UninstallCheck;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code route-agent}: runs on every node (DaemonSet, hostNetwork) and routes pod traffic for remote subnets to the
 * node of the active gateway replica. {@code --cleanup} removes everything it ever added and exits.
 */
@Command(name = "route-agent", mixinStandardHelpOptions = true, description = "Route remote subnets from this node to the active gateway node")
final class RouteAgentCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RouteAgentCommand.class);

    @Option(names = "--node-name", defaultValue = "${env:NODE_NAME}",
            description = "this node's name (default: NODE_NAME, from the Downward API)")
    String nodeName;

    @Option(names = "--mode", defaultValue = "Auto",
            description = "Auto (plain routes within the node subnet, VXLAN beyond it), Direct or Vxlan")
    RoutingSettings.Mode mode;

    @Option(names = "--tunnel-mtu", defaultValue = "" + RoutingSettings.DEFAULT_TUNNEL_MTU,
            description = "the gateways' TUN MTU: route MTU and TCP MSS clamp (MSS = MTU - 40)")
    int tunnelMtu;

    @Option(names = "--vni", defaultValue = "" + RoutingSettings.DEFAULT_VNI, description = "VXLAN id of the overlay")
    int vni;

    @Option(names = "--vxlan-port", defaultValue = "" + RoutingSettings.DEFAULT_VXLAN_PORT,
            description = "UDP port of the overlay")
    int vxlanPort;

    @Option(names = "--iptables", defaultValue = "auto",
            description = "iptables, iptables-nft or iptables-legacy (auto: the one holding the node's rules)")
    String iptables;

    @Option(names = "--resync", defaultValue = "30", description = "seconds between passes that repair drift")
    int resyncSeconds;

    @Option(names = "--kubeconfig", description = "kubeconfig (default: KUBECONFIG, ~/.kube/config, service account)")
    Path kubeconfig;

    @Option(names = "--health-port", defaultValue = "9095",
            description = "port of /healthz, /readyz and /status (0: none); hostNetwork, so pick one free on every node")
    int healthPort;

    @Option(names = "--health-address", defaultValue = "0.0.0.0", description = "address the health server binds")
    String healthAddress;

    @Option(names = "--cluster-pod-cidrs", split = ",", paramLabel = "CIDR",
            description = "the cluster's pod CIDRs, for tunnels without local.subnets when the Nodes have no podCIDR")
    List<String> clusterPodCidrs = List.of();

    @Option(names = "--cleanup", description = "remove every route, link and iptables chain of Strait's, then exit")
    boolean cleanup;

    @Override
    public Integer call() throws Exception {
        Shell shell = Shell.local();
        String binary = "auto".equals(iptables) ? Iptables.detect(shell) : iptables;
        IpRoute ip = new IpRoute(shell);
        RouteReconciler reconciler = new RouteReconciler(ip, new Iptables(shell, binary));
        if (cleanup) {
            reconciler.cleanup();
            LOG.info("removed Strait's routes, links and {} chains", binary);
            return 0;
        }
        if (nodeName == null || nodeName.isBlank()) {
            System.err.println("--node-name (or NODE_NAME) is required");
            return 2;
        }
        List<Cidr> fallbackPodCidrs = new java.util.ArrayList<>();
        for (String c : clusterPodCidrs) {
            try {
                fallbackPodCidrs.add(Cidr.parse(c.strip()));
            } catch (IllegalArgumentException e) {
                System.err.println("--cluster-pod-cidrs: " + e.getMessage());
                return 2;
            }
        }
        RoutingSettings settings = new RoutingSettings(mode, tunnelMtu, vni, vxlanPort);
        LOG.info("route agent on node {}: mode {}, tunnel MTU {}, {}", nodeName, mode, tunnelMtu, binary);
        KubernetesClient client = KubeClients.create(kubeconfig);
        RouteAgent[] agent = new RouteAgent[1];
        ClusterWatch watch = new ClusterWatch(client, () -> {
            if (agent[0] != null) {
                agent[0].changed();
            }
        }, fallbackPodCidrs);
        agent[0] = new RouteAgent(nodeName, settings, ip, reconciler, watch::view, watch::synced)
                .start(Duration.ofSeconds(Math.max(1, resyncSeconds)));
        agent[0].changed(); // events may have fired before agent[0] was set
        HealthServer health = healthPort == 0 ? null
                : new HealthServer(new InetSocketAddress(healthAddress, healthPort), nodeName, agent[0]::health);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (health != null) {
                health.close();
            }
            agent[0].close();
            watch.close();
            try {
                if (UninstallCheck.uninstalling(client, System.getenv("POD_NAMESPACE"),
                        System.getenv("ROUTE_AGENT_DAEMONSET"))) {
                    reconciler.cleanup();
                    LOG.info("DaemonSet deleted: removed Strait's routes, links and chains from node {}", nodeName);
                }
            } catch (Exception e) {
                LOG.warn("cleanup on uninstall failed: {}", e.getMessage());
            }
            client.close();
            done.countDown();
        }, "route-agent-shutdown"));
        done.await();
        return 0;
    }
}
