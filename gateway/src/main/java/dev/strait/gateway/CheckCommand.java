package dev.strait.gateway;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.validation.ConfigException;
import dev.strait.gateway.config.ConfigLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Validates a config file and exits: 0 when valid, 2 with the field and problem when not. It runs every check that
 * {@code run} makes before it starts (the loader's validator, then the tunnel definitions with their PSK and certificate
 * files), so a config that passes here does not fail at start.
 */
@Command(name = "check", description = "Validate a gateway config file and exit")
final class CheckCommand implements Callable<Integer> {
    static final int EXIT_CONFIG = 2;

    @Option(names = {"-c", "--config"}, required = true, description = "gateway YAML file")
    Path config;

    @Override
    public Integer call() {
        try {
            GatewayConfig c = ConfigLoader.load(config);
            Daemon.definitions(c);
            System.out.println("config OK: " + c.tunnels.size() + " tunnel(s)");
            return 0;
        } catch (ConfigException e) {
            System.err.println("invalid config " + config + ": " + e.getMessage());
            return EXIT_CONFIG;
        }
    }
}
