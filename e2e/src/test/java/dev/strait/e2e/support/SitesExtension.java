package dev.strait.e2e.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Brings the two sites up once per test class and tears them down afterwards, stopping every strongSwan and
 * gateway made through it: those made during a test (or its @BeforeEach) when the test ends, those made in
 * &#64;BeforeAll with the class. When a test (or the class setup) fails it prints the tail of each log and copies the
 * logs to e2e/target/e2e-logs/CLASS/.
 *
 * <pre>
 * &#64;RegisterExtension static final SitesExtension SITES = new SitesExtension();
 * ... SITES.strongSwan(SITES.sites().nsB()).start(conf);
 * </pre>
 */
public final class SitesExtension
        implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback, TestWatcher {
    private static volatile boolean depsChecked;

    private final List<PeerDaemon> peers = new ArrayList<>();
    private final List<GatewayProcess> gateways = new ArrayList<>();
    // Stopped during the current test: afterEach() and @AfterEach methods run before testFailed(), whose dump needs them.
    private final List<PeerDaemon> stoppedPeers = new ArrayList<>();
    private final List<GatewayProcess> stoppedGateways = new ArrayList<>();
    private final Set<Object> madeInTest = Collections.newSetFromMap(new IdentityHashMap<>());
    private final java.util.function.Supplier<Sites> topology;
    private boolean inTest;
    private Sites sites;

    /** The sites of e2e/bin/sites.sh, named by the environment (defaults strait-a, strait-b). */
    public SitesExtension() {
        this(Sites::fromEnvironment);
    }

    /** Other sites, e.g. {@link Sites#named} for a class that must not share namespaces with the others. */
    public SitesExtension(java.util.function.Supplier<Sites> topology) {
        this.topology = topology;
    }

    public Sites sites() {
        if (sites == null) {
            throw new IllegalStateException("sites are up only between @BeforeAll and @AfterAll");
        }
        return sites;
    }

    public synchronized StrongSwan strongSwan(String ns) {
        return track(new StrongSwan(sites(), ns));
    }

    public synchronized Libreswan libreswan(String ns) {
        return track(new Libreswan(sites(), ns));
    }

    private <P extends PeerDaemon> P track(P peer) {
        peers.add(peer);
        if (inTest) {
            madeInTest.add(peer);
        }
        return peer;
    }

    public synchronized GatewayProcess gateway(String ns, String adminHost) {
        GatewayProcess g = new GatewayProcess(sites(), ns, adminHost);
        gateways.add(g);
        if (inTest) {
            madeInTest.add(g);
        }
        return g;
    }

    /** Stops every gateway and peer daemon started so far, also those of @BeforeAll; the sites stay up. */
    public void stopAll() {
        throwFirst(stopProcesses(p -> true));
    }

    /** Stops the chosen gateways, then the chosen peer daemons, every one even when some fail; returns the failures. */
    private synchronized List<RuntimeException> stopProcesses(Predicate<Object> which) {
        List<RuntimeException> errors = new ArrayList<>();
        for (GatewayProcess g : gateways.stream().filter(which).toList()) {
            run(errors, g::stop);
            stoppedGateways.add(g);
        }
        for (PeerDaemon s : peers.stream().filter(which).toList()) {
            run(errors, s::stop);
            stoppedPeers.add(s);
        }
        gateways.removeAll(stoppedGateways);
        peers.removeAll(stoppedPeers);
        madeInTest.removeAll(stoppedGateways);
        madeInTest.removeAll(stoppedPeers);
        return errors;
    }

    private static void throwFirst(List<RuntimeException> errors) {
        if (!errors.isEmpty()) {
            RuntimeException e = errors.getFirst();
            errors.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("e2e tests need root (network namespaces, TUN devices)");
        }
        installDeps();
        synchronized (this) {
            // One instance may serve class after class (a base class's static field): nothing of the last one's dump.
            stoppedGateways.clear();
            stoppedPeers.clear();
        }
        sites = topology.get();
        sites.down(); // leftovers from an interrupted run
        sites.up();
    }

    @Override
    public synchronized void beforeEach(ExtensionContext context) {
        inTest = true;
        stoppedGateways.clear();
        stoppedPeers.clear();
    }

    /** The test's own processes go; the logs of those stopped stay available to {@link #testFailed}, which runs later. */
    @Override
    public synchronized void afterEach(ExtensionContext context) {
        inTest = false;
        throwFirst(stopProcesses(madeInTest::contains));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (context.getExecutionException().isPresent()) {
            dumpLogs(context);
        }
        List<RuntimeException> errors = stopProcesses(p -> true);
        if (sites != null) {
            run(errors, sites::down);
            sites = null;
        }
        throwFirst(errors);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        dumpLogs(context);
    }

    private synchronized void dumpLogs(ExtensionContext context) {
        Path out = E2eDirs.module().resolve("target").resolve("e2e-logs")
                .resolve(context.getRequiredTestClass().getSimpleName());
        StringBuilder report = new StringBuilder("\n===== e2e logs for " + context.getDisplayName() + " (copies in " + out + ")\n");
        for (GatewayProcess g : concat(stoppedGateways, gateways)) {
            report.append(section("gateway in " + g.namespace(), g.logFile(), out, "gateway-" + g.namespace() + ".log"));
        }
        for (PeerDaemon s : concat(stoppedPeers, peers)) {
            Path log;
            try {
                log = s.logFile();
            } catch (RuntimeException e) {
                report.append("(no ").append(s.kind()).append(" log for ").append(s.namespace()).append(": ")
                        .append(e.getMessage()).append(")\n");
                continue;
            }
            report.append(section(s.kind() + " in " + s.namespace(), log, out, s.kind() + "-" + s.namespace() + ".log"));
            Optional.ofNullable(safeSas(s)).ifPresent(sas -> report.append("--- ").append(s.kind()).append("'s SAs in ")
                    .append(s.namespace()).append('\n').append(sas).append('\n'));
        }
        System.out.println(report);
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static String section(String title, Path log, Path outDir, String copyName) {
        try {
            Files.createDirectories(outDir);
            if (Files.isReadable(log)) {
                Files.copy(log, outDir.resolve(copyName), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // the printed tail below still shows what happened
        }
        return "--- " + title + " (" + log + "), last 80 lines\n" + LogFiles.tail(log, 80) + "\n";
    }

    private static String safeSas(PeerDaemon s) {
        try {
            return s.describeSas();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void run(List<RuntimeException> errors, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            errors.add(e);
        }
    }

    /** Once per JVM: e2e/bin/install-deps.sh is idempotent and fast when everything is installed. */
    private static synchronized void installDeps() {
        if (depsChecked) {
            return;
        }
        Path script = E2eDirs.bin().resolve("install-deps.sh");
        Commands.run(Duration.ofMinutes(10), List.of("bash", script.toString())).orThrow();
        depsChecked = true;
    }
}
