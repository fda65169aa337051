package dev.strait.gateway.config;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.validation.ConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * A config as its Secret carries it: the YAML under the config file's name (the key the mounted file comes from),
 * and the certificate files it names as further keys, read from memory rather than from the mounted copy.
 */
public record SecretConfig(GatewayConfig config, ConfigFiles files) {

    /**
     * @param data the Secret's decoded data
     * @param configFile where the Secret is mounted as a file ({@code /etc/strait/gateway.yaml}): its name is the key
     *     of the YAML, its directory the one the config's file paths point into
     */
    public static SecretConfig parse(Map<String, byte[]> data, Path configFile) throws ConfigException {
        String key = configFile.getFileName().toString();
        byte[] yaml = data.get(key);
        if (yaml == null) {
            throw new ConfigException("config", "the Secret has no key " + key);
        }
        GatewayConfig config = ConfigLoader.parse(new String(yaml, StandardCharsets.UTF_8));
        Path dir = configFile.toAbsolutePath().getParent();
        return new SecretConfig(config, ConfigFiles.secret(dir, data));
    }
}
