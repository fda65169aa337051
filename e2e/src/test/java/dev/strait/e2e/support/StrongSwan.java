package dev.strait.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A strongSwan peer (e2e/bin/strongswan.sh) in one namespace of {@link Sites}, configured from a {@link SwanctlConf}. */
public final class StrongSwan extends SiteProcess implements PeerDaemon, AutoCloseable {
    private SwanctlConf conf;

    public StrongSwan(Sites sites, String ns) {
        super(sites, ns, "strongswan", "strongswan.sh");
    }

    @Override
    public String kind() {
        return "charon";
    }

    @Override
    public String describeSas() {
        return swanctl(Duration.ofSeconds(5), "--list-sas").stdout();
    }

    /** Like /etc/swanctl: tests put certificates in x509/ and x509ca/, keys in private/ before {@link #start}. */
    public Path confDir() {
        return dir;
    }

    public SwanctlConf conf() {
        return conf;
    }

    /** Writes swanctl.conf (mode 600: it holds the PSK), starts charon (or reloads a running one) and loads it. */
    public StrongSwan start(SwanctlConf c) {
        return start(c, null);
    }

    /**
     * Like {@link #start(SwanctlConf)}, with extra strongswan.conf settings (e.g. log levels) written to
     * CONFDIR/strongswan.d/extra.conf, which strongswan.sh includes after its own settings.
     */
    public StrongSwan start(SwanctlConf c, String extraStrongswanConf) {
        return start(List.of(c), extraStrongswanConf);
    }

    /**
     * Several connections in one swanctl.conf (strongSwan merges the repeated {@code connections} and {@code secrets}
     * sections); a running charon reloads it, and SAs of connections whose settings stay the same stay up.
     */
    public StrongSwan start(List<SwanctlConf> connections) {
        return start(connections, null);
    }

    public StrongSwan start(List<SwanctlConf> connections, String extraStrongswanConf) {
        SwanctlConf c = connections.getFirst();
        Path file = dir.resolve("swanctl.conf");
        try {
            Path extra = dir.resolve("strongswan.d").resolve("extra.conf");
            Files.deleteIfExists(extra);
            Files.deleteIfExists(extra.getParent()); // an empty include glob is not worth a warning
            if (extraStrongswanConf != null) {
                Files.createDirectories(extra.getParent());
                Files.writeString(extra, extraStrongswanConf);
            }
            writePrivate(file, String.join("", connections.stream().map(SwanctlConf::render).toList()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        startScript(Duration.ofSeconds(30), sites.scriptEnv(), ns, dir.toString());
        conf = c;
        return this;
    }

    /** SIGTERM (charon sends DELETEs), SIGKILL after 10 s. */
    @Override
    public void stop() {
        stopScript(sites.scriptEnv(), ns);
    }

    /** SIGKILL charon: it vanishes without DELETEs, as after a crash or a power cut. start() brings it back. */
    public void kill() {
        if (!running) {
            return;
        }
        running = false;
        Path pidFile = logFile().resolveSibling("charon.pid");
        try {
            String pid = Files.readString(pidFile).strip();
            Commands.run(Duration.ofSeconds(5), List.of("kill", "-KILL", pid)).orThrow();
            Commands.run(Duration.ofSeconds(5), List.of("sh", "-c", "sleep 0.3; while ip -n " + ns
                    + " rule del table 220 2>/dev/null; do :; done; rm -f " + pidFile + " " + pidFile.resolveSibling("charon.vici")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** Brings up CHILD_SA {@code child} (and its IKE_SA); throws with swanctl's output when that fails. */
    public ExecResult initiate(String child, Duration timeout) {
        long secs = Math.max(1, timeout.toSeconds());
        return swanctl(timeout.plusSeconds(5), "--initiate", "--child", child, "--timeout", Long.toString(secs)).orThrow();
    }

    /** Like initiate() but returns the result for tests that expect the exchange to fail. */
    public ExecResult tryInitiate(String child, Duration timeout) {
        long secs = Math.max(1, timeout.toSeconds());
        return swanctl(timeout.plusSeconds(5), "--initiate", "--child", child, "--timeout", Long.toString(secs));
    }

    public ExecResult initiate(String child) {
        return initiate(child, Duration.ofSeconds(15));
    }

    public List<IkeSa> listSas() {
        return SwanctlOutput.parseSas(swanctl(Duration.ofSeconds(10), "--list-sas", "--pretty").orThrow().stdout());
    }

    /** Any swanctl command against this instance, e.g. {@code "--rekey", "--child", "lan-lan"}. */
    public ExecResult swanctl(Duration timeout, String... args) {
        List<String> a = new ArrayList<>(List.of("swanctl", ns));
        a.addAll(List.of(args));
        return script(timeout, a.toArray(String[]::new));
    }

    @Override
    public Path logFile() {
        return Path.of(script(Duration.ofSeconds(5), "log", ns).orThrow().stdout().strip());
    }

    private ExecResult script(Duration timeout, String... args) {
        return script(timeout, sites.scriptEnv(), args);
    }
}
