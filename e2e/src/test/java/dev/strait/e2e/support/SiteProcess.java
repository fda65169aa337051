package dev.strait.e2e.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A peer the harness runs in one namespace of {@link Sites} through one of e2e/bin's scripts, with a work directory
 * of its own (E2eDirs.work(NAME-NS)) for its configuration and logs.
 */
abstract class SiteProcess {
    final Sites sites;
    final String ns;
    final Path dir;
    private final String script;
    boolean running;

    SiteProcess(Sites sites, String ns, String name, String script) {
        this.sites = sites;
        this.ns = ns;
        this.dir = E2eDirs.work(name + "-" + ns);
        this.script = script;
    }

    public String namespace() {
        return ns;
    }

    /** Runs the script with {@code args}, {@code env} added to the environment. */
    ExecResult script(Duration timeout, Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(sites.script(script).toString());
        cmd.addAll(List.of(args));
        return Commands.run(timeout, cmd, env);
    }

    /** The script's {@code start ARGS}; the peer runs once it succeeded. */
    void startScript(Duration timeout, Map<String, String> env, String... args) {
        script(timeout, env, prepend("start", args)).orThrow();
        running = true;
    }

    /** The script's {@code stop ARGS} (SIGTERM, SIGKILL after 10 s) if the peer runs; false if it did not. */
    boolean stopScript(Map<String, String> env, String... args) {
        if (!running) {
            return false;
        }
        running = false;
        script(Duration.ofSeconds(20), env, prepend("stop", args)).orThrow();
        return true;
    }

    private static String[] prepend(String first, String... rest) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(rest));
        return all.toArray(String[]::new);
    }

    /** Writes {@code text} to a new {@code file} of mode 600 (it holds a PSK or key), replacing an older one. */
    static void writePrivate(Path file, String text) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text);
    }
}
