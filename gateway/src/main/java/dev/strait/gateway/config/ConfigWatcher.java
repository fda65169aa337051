package dev.strait.gateway.config;

import dev.strait.api.v1alpha1.GatewayConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls the config file for content changes. Polling rather than WatchService because Kubernetes updates mounted
 * Secrets by swapping a symlink, which inotify-based watching on the file itself misses. An invalid new version is
 * logged and ignored: the running tunnels keep the last good config.
 */
public final class ConfigWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);
    private final Path file;
    private final Consumer<GatewayConfig> onChange;
    private final Thread thread;
    private volatile boolean closed;
    private byte[] lastDigest;

    public ConfigWatcher(Path file, Duration period, Consumer<GatewayConfig> onChange) {
        this.file = file;
        this.onChange = onChange;
        this.lastDigest = digest();
        this.thread = Thread.ofPlatform().daemon().name("config-watcher").start(() -> loop(period));
    }

    private void loop(Duration period) {
        while (!closed) {
            try {
                Thread.sleep(period);
            } catch (InterruptedException e) {
                return;
            }
            byte[] d = digest();
            if (d == null || MessageDigest.isEqual(d, lastDigest)) {
                continue;
            }
            lastDigest = d;
            try {
                GatewayConfig c = ConfigLoader.load(file);
                LOG.info("config {} changed: applying {} tunnel(s)", file, c.tunnels.size());
                onChange.accept(c);
            } catch (ConfigException e) {
                LOG.error("config {} changed but is invalid, keeping the running config: {}", file, e.getMessage());
            } catch (RuntimeException e) {
                LOG.error("applying the new config failed, keeping the running config", e);
            }
        }
    }

    private byte[] digest() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (IOException e) {
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
