package dev.strait.gateway.config;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.validation.ConfigException;
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
 * logged and ignored: the running tunnels keep the last good config. The certificate, key, CA and CRL files the config
 * names are watched too: a renewed certificate (cert-manager) reloads the config, and the engine swaps the credentials
 * in for new IKE SAs without touching the running ones (the tunnel fingerprint leaves file contents out). A config file
 * that vanishes is logged once and the running config kept. With a config Secret read through the API the gateway
 * closes this watcher once the API answers (see {@code kube.ConfigSecretWatch}).
 */
public final class ConfigWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);
    private final Path file;
    private final Consumer<GatewayConfig> onChange;
    private final Thread thread;
    private volatile boolean closed;
    private byte[] lastDigest;
    private boolean missing;
    /** The credential files named by the config version with this digest: re-parsed only when the config changes. */
    private byte[] credentialsOfConfig;
    private java.util.List<Path> credentialFiles = java.util.List.of();

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
            if (d == null) {
                if (!missing) {
                    missing = true; // kubelet swaps a Secret volume's files atomically: this is no refresh
                    LOG.warn("config file {} is gone or unreadable, keeping the running config", file);
                }
                continue;
            }
            if (missing) {
                missing = false;
                LOG.info("config file {} is back", file);
            }
            if (MessageDigest.isEqual(d, lastDigest)) {
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
            byte[] config = Files.readAllBytes(file);
            byte[] configDigest = MessageDigest.getInstance("SHA-256").digest(config);
            if (credentialsOfConfig == null || !MessageDigest.isEqual(configDigest, credentialsOfConfig)) {
                // parsing a config with thousands of tunnels costs far more than hashing it: only on change
                credentialFiles = credentialFiles(new String(config, java.nio.charset.StandardCharsets.UTF_8));
                credentialsOfConfig = configDigest;
            }
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(configDigest);
            for (Path p : credentialFiles) {
                try {
                    d.update(Files.readAllBytes(p));
                } catch (IOException e) {
                    d.update((byte) 0); // a missing file is a state of its own; the loader reports it
                }
            }
            return d.digest();
        } catch (IOException e) {
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** certFile, keyFile, caFile and crlFile of every certificate tunnel; empty when the config does not parse. */
    private static java.util.List<Path> credentialFiles(String configText) {
        java.util.List<Path> out = new java.util.ArrayList<>();
        try {
            for (var t : ConfigLoader.parse(configText).tunnels) {
                var c = t.auth == null ? null : t.auth.certificate;
                if (c != null) {
                    java.util.stream.Stream.of(c.certFile, c.keyFile, c.caFile, c.crlFile)
                            .filter(java.util.Objects::nonNull).map(Path::of).forEach(out::add);
                }
            }
        } catch (ConfigException | RuntimeException e) {
            return out;
        }
        return out;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
