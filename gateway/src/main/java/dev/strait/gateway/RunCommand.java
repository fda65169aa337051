package dev.strait.gateway;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.validation.ConfigException;
import dev.strait.gateway.config.ConfigLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the daemon until SIGTERM/SIGINT. */
@Command(name = "run", description = "Run the gateway daemon")
final class RunCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, description = "gateway YAML file (reloaded when it changes)")
    Path config;

    @Option(names = "--kubeconfig", description = "kubeconfig for status reports and the lease (default: KUBECONFIG, "
            + "~/.kube/config, then the pod's service account); used only when the config has a kubernetes section")
    Path kubeconfig;

    @Option(names = "--status-counters-interval", defaultValue = "30", hidden = true,
            description = "seconds between status writes that only update byte/packet counters")
    int countersInterval;

    @Override
    public Integer call() throws Exception {
        GatewayConfig c;
        try {
            c = ConfigLoader.load(config);
        } catch (ConfigException e) {
            System.err.println("invalid config " + config + ": " + e.getMessage());
            return CheckCommand.EXIT_CONFIG;
        }
        var defaults = dev.strait.gateway.kube.TunnelStatusReporter.Settings.defaults();
        return Daemon.run(config, c, kubeconfig, new dev.strait.gateway.kube.TunnelStatusReporter.Settings(
                defaults.tick(), defaults.minInterval(), java.time.Duration.ofSeconds(Math.max(1, countersInterval))));
    }
}
