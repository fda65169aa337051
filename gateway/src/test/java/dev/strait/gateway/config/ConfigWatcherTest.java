package dev.strait.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.strait.api.v1alpha1.GatewayConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigWatcherTest {
    private static final Duration PERIOD = Duration.ofMillis(50);

    private static String config(Path dir, String peerId) {
        return """
                listen: {address: 0.0.0.0}
                tunnels:
                  - name: branch-1
                    peer: {address: 198.18.0.2, id: %s}
                    local: {id: site-a.test, subnets: [10.10.0.0/24]}
                    remote: {subnets: [10.20.0.0/24]}
                    auth: {certificate: {certFile: %s, keyFile: %s, caFile: %s}}
                    ike: {proposals: [aes256gcm16-prfsha384-ecp384]}
                    esp: {proposals: [aes256gcm16]}
                """.formatted(peerId, dir.resolve("gw.crt"), dir.resolve("gw.key"), dir.resolve("ca.crt"));
    }

    /** Writes gateway.yaml (peer site-b.test) and the credential files it names into {@code dir}; returns its path. */
    private static Path configFiles(Path dir) throws IOException {
        for (String f : new String[] {"gw.crt", "gw.key", "ca.crt"}) {
            Files.writeString(dir.resolve(f), "v1 " + f);
        }
        return Files.writeString(dir.resolve("gateway.yaml"), config(dir, "site-b.test"));
    }

    @Test
    void reloadsOnConfigAndCredentialChangesAndKeepsTheLastGoodConfig(@TempDir Path dir) throws Exception {
        Path file = configFiles(dir);
        LinkedBlockingQueue<GatewayConfig> applied = new LinkedBlockingQueue<>();
        try (ConfigWatcher w = new ConfigWatcher(file, PERIOD, applied::add)) {
            assertNull(applied.poll(300, TimeUnit.MILLISECONDS), "nothing changed yet");

            Files.writeString(file, config(dir, "site-c.test"));
            assertEquals("site-c.test", applied.poll(5, TimeUnit.SECONDS).tunnels.getFirst().peer.id);

            // a renewed certificate (same config text) reloads too: the watched file list survives the caching
            Files.writeString(dir.resolve("gw.crt"), "v2 renewed");
            assertEquals("site-c.test", applied.poll(5, TimeUnit.SECONDS).tunnels.getFirst().peer.id);
            Files.writeString(dir.resolve("ca.crt"), "v2 renewed");
            assertEquals("site-c.test", applied.poll(5, TimeUnit.SECONDS).tunnels.getFirst().peer.id);

            Files.writeString(file, "tunnels: [{name: 'not valid!'}]");
            assertNull(applied.poll(400, TimeUnit.MILLISECONDS), "an invalid config is not applied");

            Files.writeString(file, config(dir, "site-d.test"));
            assertEquals("site-d.test", applied.poll(5, TimeUnit.SECONDS).tunnels.getFirst().peer.id);
            assertNull(applied.poll(300, TimeUnit.MILLISECONDS), "one change, one reload");
        }
    }

    @Test
    void aVanishedFileKeepsTheRunningConfig(@TempDir Path dir) throws Exception {
        Path file = configFiles(dir);
        LinkedBlockingQueue<GatewayConfig> applied = new LinkedBlockingQueue<>();
        try (ConfigWatcher w = new ConfigWatcher(file, PERIOD, applied::add)) {
            Files.delete(file);
            assertNull(applied.poll(300, TimeUnit.MILLISECONDS), "a vanished file is no new config");
            Files.writeString(file, config(dir, "site-b.test"));
            assertNull(applied.poll(300, TimeUnit.MILLISECONDS), "back unchanged: nothing to apply");
            Files.delete(file);
            Files.writeString(file, config(dir, "site-c.test"));
            assertEquals("site-c.test", applied.poll(5, TimeUnit.SECONDS).tunnels.getFirst().peer.id);
        }
    }
}
