package dev.strait.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.gateway.testing.CapturedOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reload path of `run` (the config watcher) refuses what `check` refuses, keeps the running config, and logs the
 * refusal with the field, never a line of the file.
 */
class ReloadRefusalTest {
    private static final Duration PERIOD = Duration.ofMillis(50);
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void eachCarelessConfigIsRefusedOnReloadAndTheRunningOneKept() throws Exception {
        Path file = Files.writeString(dir.resolve("gateway.yaml"), CarelessConfigs.VALID);
        LinkedBlockingQueue<GatewayConfig> applied = new LinkedBlockingQueue<>();
        try (CapturedOutput log = CapturedOutput.start();
                ConfigWatcher w = new ConfigWatcher(file, PERIOD, applied::add)) {
            for (CarelessConfigs.Case c : CarelessConfigs.all()) {
                int mark = log.stderr().length();
                Files.writeString(file, c.yaml().apply(dir));
                String logged = awaitLog(log, mark, s -> s.contains(c.field() + ": ") && s.contains(c.messagePart()), c.name());
                assertTrue(logged.contains("ERROR"), logged);
            }
            for (BrokenYaml.Case c : BrokenYaml.all()) {
                int mark = log.stderr().length();
                Files.writeString(file, c.yaml());
                awaitLog(log, mark, s -> s.contains(c.expected()), c.name());
            }
            assertNull(applied.poll(), "no careless or broken config was applied");
            String all = log.stderr();
            assertFalse(all.contains(BrokenYaml.CANARY_PART), all);

            Files.writeString(file, CarelessConfigs.VALID.replace("site-b.test", "site-d.test"));
            GatewayConfig next = applied.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals("site-d.test", next.tunnels.getFirst().peer.id, "a good config after the bad ones applies");
        }
    }

    /** The log written since {@code mark} once it matches, polling; fails after {@link #WAIT}. */
    private static String awaitLog(CapturedOutput log, int mark, Predicate<String> done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            String since = log.stderr().substring(mark);
            if (done.test(since)) {
                return since;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no refusal logged for " + what + ": " + log.stderr().substring(mark));
    }
}
