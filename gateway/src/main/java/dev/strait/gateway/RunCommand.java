package dev.strait.gateway;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.gateway.config.ConfigException;
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

    @Override
    public Integer call() throws Exception {
        GatewayConfig c;
        try {
            c = ConfigLoader.load(config);
        } catch (ConfigException e) {
            System.err.println("invalid config " + config + ": " + e.getMessage());
            return CheckCommand.EXIT_CONFIG;
        }
        return Daemon.run(config, c);
    }
}
