package dev.strait.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the Strait operator: the current kubeconfig outside a cluster, the pod's service account inside. */
@Command(name = "strait-operator", mixinStandardHelpOptions = true,
        description = "Reconciles IPsecGateway and IPsecTunnel resources into gateway pods.")
public final class OperatorMain implements Callable<Integer> {
    private static final Path SA_NAMESPACE = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

    @Option(names = "--metrics-address", defaultValue = "0.0.0.0", description = "Address of /metrics, /healthz, /readyz")
    String metricsAddress;

    @Option(names = "--metrics-port", defaultValue = "8080", description = "Port of /metrics, /healthz, /readyz")
    int metricsPort;

    @Option(names = "--gateway-image", defaultValue = "${env:STRAIT_GATEWAY_IMAGE:-ghcr.io/strait-dev/strait-gateway:latest}",
            description = "Image for gateways whose spec sets none")
    String gatewayImage;

    @Option(names = "--leader-election", description = "Elect a leader even outside a cluster (always on inside)")
    boolean leaderElection;

    @Option(names = "--lease-namespace", description = "Namespace of the leader lease (default: the pod's namespace)")
    String leaseNamespace;

    @Option(names = "--route-agent-namespace", description = "Namespace of the route agent pods, whose health the "
            + "IPsecGateway condition RoutesReady shows (default: none, the route agent is disabled)")
    String routeAgentNamespace;

    @Option(names = "--cluster-pod-cidrs", split = ",", paramLabel = "CIDR", description = "The cluster's pod CIDRs: "
            + "local.subnets of tunnels that leave them out, when the Nodes have no podCIDR (default: none)")
    java.util.List<String> clusterPodCidrs = java.util.List.of();

    public static void main(String[] args) {
        System.exit(new CommandLine(new OperatorMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        boolean inCluster = System.getenv("KUBERNETES_SERVICE_HOST") != null && Files.isReadable(SA_NAMESPACE);
        String leaseNs = null;
        if (inCluster || leaderElection) {
            leaseNs = leaseNamespace != null ? leaseNamespace
                    : inCluster ? Files.readString(SA_NAMESPACE).strip() : "default";
        }
        java.util.List<String> podCidrs = new java.util.ArrayList<>();
        for (String c : clusterPodCidrs) {
            try {
                podCidrs.add(dev.strait.api.net.Cidr.parse(c.strip()).toString());
            } catch (IllegalArgumentException e) {
                System.err.println("--cluster-pod-cidrs: " + e.getMessage());
                return 2;
            }
        }
        OperatorMetrics metrics = new OperatorMetrics();
        KubernetesClient client = new KubernetesClientBuilder().build();
        StraitOperator operator = new StraitOperator(client, gatewayImage, leaseNs, true, routeAgentNamespace, podCidrs,
                metrics);
        AdminServer admin = new AdminServer(new InetSocketAddress(metricsAddress, metricsPort), metrics,
                () -> operator.isStarted() && operator.isHealthy());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            operator.close();
            admin.close();
            client.close();
            stopped.countDown();
        }, "shutdown"));
        operator.start();
        stopped.await();
        return 0;
    }
}
