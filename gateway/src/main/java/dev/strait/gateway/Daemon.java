package dev.strait.gateway;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.gateway.admin.AdminServer;
import dev.strait.gateway.config.ConfigException;
import dev.strait.gateway.config.ConfigWatcher;
import dev.strait.gateway.datapath.Datapath;
import dev.strait.gateway.datapath.Datapaths;
import dev.strait.gateway.ike.sa.EngineListener;
import dev.strait.gateway.ike.sa.IkeEngine;
import dev.strait.gateway.ike.sa.TunnelDefinition;
import dev.strait.gateway.ike.sa.TunnelSnapshot;
import dev.strait.gateway.metrics.GatewayMetrics;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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

    private Daemon(GatewayMetrics metrics, IkeEngine engine) {
        this.metrics = metrics;
        this.engine = engine;
    }

    static int run(Path configFile, GatewayConfig config) throws Exception {
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
        InetSocketAddress ikeBind = new InetSocketAddress(config.listen.address, config.listen.ikePort);
        IkeEngine engine = new IkeEngine(IkeEngine.Settings.defaults(ikeBind, config.listen.nattPort)
                .withPathMtu(config.datapath.pathMtu == null ? 1500 : config.datapath.pathMtu), listener(metrics));
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
        daemon.apply(definitions);

        AdminServer admin = AdminServer.start(new InetSocketAddress(config.admin.address, config.admin.port), engine::ready,
                daemon::status, metrics);
        ConfigWatcher watcher = new ConfigWatcher(configFile, Duration.ofSeconds(2), c -> {
            try {
                daemon.apply(definitions(c));
            } catch (ConfigException e) {
                LOG.error("config {} is invalid, keeping the running tunnels: {}", configFile, e.getMessage());
            }
        });

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("stopping: deleting IKE SAs and removing the tunnel device");
            watcher.close();
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
        List<TunnelDefinition> out = new ArrayList<>();
        for (TunnelConfig t : config.tunnels) {
            out.add(TunnelDefinition.from(t));
        }
        return out;
    }

    private synchronized void apply(List<TunnelDefinition> definitions) {
        Set<String> names = new HashSet<>();
        for (TunnelDefinition d : definitions) {
            names.add(d.name());
            if (registered.add(d.name())) {
                metrics.registerTunnel(d.name());
            }
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
        List<TunnelSnapshot> tunnels = engine.snapshot();
        s.put("tunnels", tunnels);
        s.put("ikeSas", engine.saCounts());
        return s;
    }

    private static EngineListener listener(GatewayMetrics metrics) {
        return new EngineListener() {
            @Override
            public void ikeSaEstablished(String tunnel, Duration handshake) {
                metrics.ikeSaEstablished(tunnel);
                metrics.handshakeDuration(tunnel, handshake);
            }

            @Override
            public void tunnelUp(String tunnel, boolean up) {
                metrics.tunnelUp(tunnel, up);
            }

            @Override
            public void retransmit(String tunnel) {
                metrics.retransmit(tunnel);
            }

            @Override
            public void authFailure(String tunnel, String reason) {
                metrics.authFailure(tunnel, reason);
            }

            @Override
            public void dpdTimeout(String tunnel) {
                metrics.dpdTimeout(tunnel);
            }

            @Override
            public void ikeRekey(String tunnel) {
                metrics.ikeRekey(tunnel);
            }

            @Override
            public void childRekey(String tunnel) {
                metrics.childRekey(tunnel);
            }

            @Override
            public void cookieSent() {
                metrics.cookieSent();
            }

            @Override
            public void fragment(String direction) {
                if ("sent".equals(direction)) {
                    metrics.fragmentSent();
                } else {
                    metrics.fragmentReceived();
                }
            }
        };
    }
}
