package dev.strait.gateway;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.validation.ConfigException;
import dev.strait.gateway.admin.AdminServer;
import dev.strait.gateway.config.ConfigFiles;
import dev.strait.gateway.config.ConfigWatcher;
import dev.strait.gateway.datapath.spi.Datapath;
import dev.strait.gateway.datapath.Datapaths;
import dev.strait.gateway.ike.sa.IkeEngine;
import dev.strait.gateway.ike.sa.TunnelDefinition;
import dev.strait.gateway.ike.sa.TunnelSnapshot;
import dev.strait.gateway.kube.ActiveStandby;
import dev.strait.gateway.kube.KubeIntegration;
import dev.strait.gateway.kube.TunnelStatusReporter;
import dev.strait.gateway.metrics.GatewayMetrics;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires config, IKE engine, datapath, admin HTTP and config reload together, and runs until SIGTERM. */
final class Daemon {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    private final GatewayMetrics metrics;
    private final IkeEngine engine;
    private final Set<String> registered = new HashSet<>();
    /** The tunnels the config asks for; the engine runs them only while this replica is active. */
    private List<TunnelDefinition> desired = List.of();
    private boolean active = true;
    private volatile KubeIntegration kube;
    private volatile java.util.function.Supplier<String> configSource = () -> "config file";

    private Daemon(GatewayMetrics metrics, IkeEngine engine) {
        this.metrics = metrics;
        this.engine = engine;
    }

    static int run(Path configFile, GatewayConfig config) throws Exception {
        return run(configFile, config, null, TunnelStatusReporter.Settings.defaults());
    }

    /** @param kubeconfig used when the config has a {@code kubernetes} section; null: KUBECONFIG or in-cluster */
    static int run(Path configFile, GatewayConfig config, Path kubeconfig, TunnelStatusReporter.Settings statusSettings)
            throws Exception {
        List<TunnelDefinition> definitions;
        try {
            definitions = definitions(config);
        } catch (ConfigException e) {
            System.err.println("invalid config " + configFile + ": " + e.getMessage());
            return CheckCommand.EXIT_CONFIG;
        }
        String gatewayName = config.kubernetes != null && config.kubernetes.gatewayName != null
                ? config.kubernetes.gatewayName : "standalone";
        GatewayMetrics metrics = new GatewayMetrics(gatewayName);
        metrics.bindJvmMetrics();
        InetSocketAddress ikeBind = new InetSocketAddress(config.listen.address, config.listen.ikePort);
        IkeEngine engine = new IkeEngine(IkeEngine.Settings.defaults(ikeBind, config.listen.nattPort)
                .withPathMtu(config.datapath.pathMtu == null ? 1500 : config.datapath.pathMtu)
                .withDos(dosLimits(config))
                // ESP over the userspace datapath is always in UDP 4500; with datapath None, spec.encapsulation decides.
                .withForceUdpEncapsulation(!"None".equalsIgnoreCase(config.datapath.mode))
                .withNatKeepalive(config.ike == null || config.ike.natKeepalive == null
                        ? IkeEngine.Settings.DEFAULT_NAT_KEEPALIVE : dev.strait.api.v1alpha1.Durations.parse(config.ike.natKeepalive)),
                metrics); // GatewayMetrics is the engine's listener: every event is a metric
        Daemon daemon = new Daemon(metrics, engine);

        InetSocketAddress nattBind = new InetSocketAddress(config.listen.address, config.listen.nattPort);
        Datapaths.Started datapath;
        try {
            datapath = Datapaths.start(config.datapath, nattBind, engine::onNattPacket, metrics.registry());
        } catch (java.io.IOException e) {
            System.err.println("cannot start the datapath (UDP " + nattBind + ", TUN " + config.datapath.tunName + "): "
                    + e.getMessage());
            return 1;
        }
        datapath.datapath().setListener(new Datapath.Listener() {
            @Override
            public void onAcquire(String tunnel) {
                engine.acquire(tunnel);
            }

            @Override
            public void onRekeyNeeded(int inboundSpi) {
                engine.onRekeyNeeded(inboundSpi);
            }

            @Override
            public void onEspForUnknownSa(java.net.InetAddress peer) {
                engine.onPeerUsesLostSa(peer);
            }
        });
        try {
            engine.start(datapath.datapath(), datapath.natt());
        } catch (java.io.IOException e) {
            System.err.println("cannot listen for IKE on " + ikeBind + ": " + e.getMessage());
            datapath.datapath().close();
            datapath.natt().close();
            return 1;
        }
        metrics.halfOpenSas(engine::halfOpenCount);
        if (config.kubernetes != null) {
            daemon.active = config.kubernetes.leaseName == null || config.kubernetes.leaseName.isBlank();
        }
        metrics.active(daemon.active);
        daemon.apply(definitions);

        // Ready means "send me the peers' traffic": the config is applied, the TUN device is up and the IKE sockets
        // are bound (all done above, else the process has exited), the engine is not shutting down, and this replica
        // is the active one. A standby stays unready so that the Service never hands it a peer's IKE_SA_INIT.
        AdminServer admin = AdminServer.start(new InetSocketAddress(config.admin.address, config.admin.port),
                () -> engine.ready() && daemon.isActive(), daemon::status, metrics,
                (tunnel, target) -> engine.rekey(tunnel, target, Duration.ofSeconds(2)));
        // The file (kubelet's copy of the config Secret, refreshed about once a minute) until the API answers.
        ConfigReloader reloader = new ConfigReloader(configFile, config, daemon::apply);
        daemon.configSource = reloader::source;
        ConfigWatcher watcher = new ConfigWatcher(configFile, Duration.ofSeconds(2), reloader::fromFile);
        if (config.kubernetes != null) {
            String secret = "Secret " + config.kubernetes.namespace + "/" + config.kubernetes.configSecret;
            try {
                daemon.kube = KubeIntegration.start(config.kubernetes, kubeconfig, engine::snapshot, statusSettings,
                        daemon.role(), new dev.strait.gateway.kube.FailoverRecorder.Listener() {
                            @Override
                            public void failover() {
                                metrics.failover();
                            }

                            @Override
                            public void failoverDuration(Duration d) {
                                metrics.failoverDuration(d);
                            }
                        }, data -> {
                            watcher.close();
                            reloader.fromSecret(data, secret);
                        });
            } catch (java.io.IOException | RuntimeException e) {
                // Tunnels keep running without status; a standby-capable config without the API stays standby.
                LOG.error("cannot reach the Kubernetes API, no status reports or leader election: {}", e.toString());
            }
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("stopping: deleting IKE SAs and removing the tunnel device");
            watcher.close();
            KubeIntegration k = daemon.kube;
            if (k != null) {
                k.close(); // hands the lease to a standby before our IKE SAs go
            }
            engine.close();
            datapath.datapath().close();
            datapath.natt().close();
            admin.close();
            stopped.countDown();
        }, "shutdown"));
        LOG.info("gateway {} running with {} tunnel(s); admin on {}", gatewayName, definitions.size(), admin.address());
        stopped.await();
        return 0;
    }

    static List<TunnelDefinition> definitions(GatewayConfig config) throws ConfigException {
        return ConfigReloader.definitions(config, ConfigFiles.DISK);
    }

    private synchronized void apply(List<TunnelDefinition> definitions) {
        desired = definitions;
        runTunnels(active ? definitions : List.of());
    }

    private synchronized boolean isActive() {
        return active;
    }

    /** Active: the config's tunnels run. Standby: none (IKE DELETE for any that ran), the admin server stays up. */
    private ActiveStandby.Role role() {
        return new ActiveStandby.Role() {
            @Override
            public void becomeActive() {
                synchronized (Daemon.this) {
                    active = true;
                    metrics.active(true);
                    runTunnels(desired);
                }
            }

            @Override
            public void becomeStandby() {
                synchronized (Daemon.this) {
                    active = false;
                    metrics.active(false);
                    runTunnels(List.of());
                }
            }
        };
    }

    private synchronized void runTunnels(List<TunnelDefinition> definitions) {
        Set<String> names = new HashSet<>();
        for (TunnelDefinition d : definitions) {
            names.add(d.name());
            if (registered.add(d.name())) {
                metrics.registerTunnel(d.name());
            }
            metrics.certificateExpiry(d.name(), d.usesCertificates() ? d.certificates().credentials().expiry() : null);
        }
        engine.apply(definitions);
        for (String gone : List.copyOf(registered)) {
            if (!names.contains(gone)) {
                registered.remove(gone);
                metrics.removeTunnel(gone);
            }
        }
    }

    private Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("gateway", metrics.gatewayName());
        KubeIntegration k = kube;
        s.put("replica", k != null ? k.describe() : Map.of("role", isActive() ? "active" : "standby"));
        s.put("configSource", configSource.get());
        List<TunnelSnapshot> tunnels = engine.snapshot();
        s.put("tunnels", tunnels);
        s.put("ikeSas", engine.saCounts());
        return s;
    }

    /** Read at start only: a config reload does not change them. */
    private static IkeEngine.DosLimits dosLimits(GatewayConfig config) {
        GatewayConfig.Dos d = config.ike == null || config.ike.dos == null ? new GatewayConfig.Dos() : config.ike.dos;
        return new IkeEngine.DosLimits(d.cookieThreshold, d.maxHalfOpen, d.maxHalfOpenPerSource);
    }
}
