package dev.strait.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.validation.ConfigException;
import dev.strait.gateway.config.ConfigFiles;
import dev.strait.gateway.config.ConfigLoader;
import dev.strait.gateway.config.SecretConfig;
import dev.strait.gateway.ike.sa.TunnelDefinition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one path by which a new config reaches the running tunnels, whether from the config file or from the config
 * Secret through the API. A config whose tunnels do not all load (bad YAML, a bad field, an unreadable certificate)
 * changes nothing. Once the Secret has been read through the API it is the only source: kubelet's copy of the same
 * Secret arrives as a file a minute later and may be older, and must never roll the tunnels back.
 */
final class ConfigReloader {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigReloader.class);

    private final Path configFile;
    private final JsonNode startSettings;
    private final Consumer<List<TunnelDefinition>> tunnels;
    private boolean fromApi;
    /** Where the running tunnels came from, for /status. */
    private volatile String source;

    /**
     * @param configFile the config file the daemon started from; the Secret's key and mount directory derive from it
     * @param startConfig the config the daemon started with: its non-tunnel settings are not reloaded
     * @param tunnels takes each new, fully loaded set of tunnels
     */
    ConfigReloader(Path configFile, GatewayConfig startConfig, Consumer<List<TunnelDefinition>> tunnels) {
        this.configFile = configFile;
        this.startSettings = ConfigLoader.startSettings(startConfig);
        this.tunnels = tunnels;
        this.source = "config file " + configFile;
    }

    /** "config file PATH" until the config Secret has been read through the API, then "Secret NS/NAME". */
    String source() {
        return source;
    }

    static List<TunnelDefinition> definitions(GatewayConfig config, ConfigFiles files) throws ConfigException {
        List<TunnelDefinition> out = new ArrayList<>();
        for (TunnelConfig t : config.tunnels) {
            out.add(TunnelDefinition.from(t, files));
        }
        return out;
    }

    /** A new version of the config file (already parsed and validated); ignored once the API is the source. */
    synchronized void fromFile(GatewayConfig config) {
        if (!fromApi) {
            reload(config, ConfigFiles.DISK, "config file " + configFile);
        }
    }

    /** A new version of the config Secret's data, read through the API. */
    synchronized void fromSecret(Map<String, byte[]> data, String source) {
        fromApi = true;
        this.source = source;
        SecretConfig s;
        try {
            s = SecretConfig.parse(data, configFile);
        } catch (ConfigException e) {
            LOG.error("{} is invalid, keeping the running tunnels: {}", source, e.getMessage());
            return;
        }
        LOG.info("{} changed: applying {} tunnel(s)", source, s.config().tunnels.size());
        reload(s.config(), s.files(), source);
    }

    private void reload(GatewayConfig config, ConfigFiles files, String source) {
        List<TunnelDefinition> loaded;
        try {
            loaded = definitions(config, files);
        } catch (ConfigException e) {
            LOG.error("{} is invalid, keeping the running tunnels: {}", source, e.getMessage());
            return;
        }
        tunnels.accept(loaded);
        if (!ConfigLoader.startSettings(config).equals(startSettings)) {
            LOG.warn("{} changes settings read only at start (listen, admin, datapath, ike.dos, kubernetes): "
                    + "they take effect when the gateway restarts", source);
        }
    }
}
