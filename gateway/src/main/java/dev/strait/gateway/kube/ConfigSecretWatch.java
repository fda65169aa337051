package dev.strait.gateway.kube;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.WatcherException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the gateway's config Secret through the API: a GET, then a watch of that one object (field selector
 * {@code metadata.name}, which RBAC authorizes by the Role's {@code resourceNames}: get and watch, no list). Every
 * version whose contents differ from the last one is handed over, decoded, within moments of its write; kubelet's
 * Secret volume takes a minute or more. A watch that ends (API server restart, expired resource version) starts over
 * with a GET after a back-off. A deleted Secret is logged and nothing is handed over: the running config stays.
 */
public final class ConfigSecretWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigSecretWatch.class);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final Consumer<Map<String, byte[]>> onVersion;
    private final Thread thread;
    private volatile boolean closed;
    private volatile Watch watch;
    private byte[] lastDigest;

    /** Starts following; {@code onVersion} gets one version at a time, on this watch's or the client's thread. */
    public ConfigSecretWatch(KubernetesClient client, String namespace, String name,
            Consumer<Map<String, byte[]>> onVersion) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
        this.onVersion = onVersion;
        this.thread = Thread.ofPlatform().daemon().name("config-secret").start(this::loop);
    }

    public String describe() {
        return "Secret " + namespace + "/" + name;
    }

    private void loop() {
        Duration backoff = MIN_BACKOFF;
        boolean failing = false;
        while (!closed) {
            try {
                Secret current = client.secrets().inNamespace(namespace).withName(name).get();
                if (failing) {
                    LOG.info("{} readable again", describe());
                    failing = false;
                }
                String from = null;
                if (current == null) {
                    LOG.warn("{} does not exist, keeping the running config", describe());
                } else {
                    deliver(current);
                    from = current.getMetadata().getResourceVersion();
                }
                long started = System.nanoTime();
                WatcherException ended = watchFrom(from);
                if (ended != null && !ended.isHttpGone()) {
                    LOG.info("watch of {} ended ({}), starting over", describe(), ended.getMessage());
                }
                if (System.nanoTime() - started > MAX_BACKOFF.toNanos()) {
                    backoff = MIN_BACKOFF; // it ran well: the next hiccup is retried at once
                }
            } catch (KubernetesClientException e) {
                if (!failing) {
                    // the message names the request and the HTTP status, never the Secret's contents
                    LOG.warn("cannot read {} through the API (code {}), retrying: {}", describe(), e.getCode(),
                            e.getMessage());
                    failing = true;
                }
            } catch (InterruptedException e) {
                return;
            }
            if (!closed) {
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException e) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    /** Watches from a resource version until the watch ends; returns why (null: closed without an error). */
    private WatcherException watchFrom(String resourceVersion) throws InterruptedException {
        return Watches.<Secret>runToEnd(
                watcher -> client.secrets().inNamespace(namespace).withName(name)
                        .watch(new ListOptionsBuilder().withResourceVersion(resourceVersion).build(), watcher),
                (action, secret) -> {
                    switch (action) {
                        case ADDED, MODIFIED -> deliver(secret);
                        case DELETED -> LOG.warn("{} was deleted, keeping the running config", describe());
                        default -> {
                        }
                    }
                },
                w -> watch = w, () -> closed);
    }

    private void deliver(Secret secret) {
        Map<String, byte[]> data = decode(secret);
        byte[] digest = digest(data);
        if (lastDigest != null && MessageDigest.isEqual(digest, lastDigest)) {
            return; // a metadata-only update, or the GET after a broken watch
        }
        lastDigest = digest;
        try {
            onVersion.accept(data);
        } catch (RuntimeException e) {
            LOG.error("applying {} failed, keeping the running config", describe(), e);
        }
    }

    private static Map<String, byte[]> decode(Secret secret) {
        Map<String, byte[]> out = new TreeMap<>();
        if (secret.getData() != null) {
            secret.getData().forEach((k, v) -> out.put(k, Base64.getDecoder().decode(v)));
        }
        return out;
    }

    private static byte[] digest(Map<String, byte[]> data) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            data.forEach((k, v) -> {
                d.update(k.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                d.update((byte) 0);
                d.update(java.nio.ByteBuffer.allocate(4).putInt(v.length).array());
                d.update(v);
            });
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        Watch w = watch;
        if (w != null) {
            w.close();
        }
        thread.interrupt();
    }
}
