package dev.strait.gateway.datapath;

import dev.strait.api.net.Cidr;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.gateway.datapath.demux.Demultiplexer;
import dev.strait.gateway.datapath.inbound.InboundPath;
import dev.strait.gateway.datapath.outbound.OutboundPath;
import dev.strait.gateway.datapath.sa.Events;
import dev.strait.gateway.datapath.sa.PathContext;
import dev.strait.gateway.datapath.spi.ChildSaSpec;
import dev.strait.gateway.datapath.spi.Datapath;
import dev.strait.gateway.datapath.spi.IkePacketHandler;
import dev.strait.gateway.datapath.spi.NattSocket;
import dev.strait.gateway.datapath.udp.BatchUdpSocket;
import dev.strait.gateway.esp.EspCounters;
import dev.strait.gateway.linux.RtNetlink;
import dev.strait.gateway.linux.Sockaddr;
import dev.strait.gateway.linux.TunDevice;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Userspace ESP over TUN, put together from its stages: the UDP socket ({@link BatchUdpSocket}) feeds the
 * {@link Demultiplexer}, which hands IKE to the engine and ESP to the {@link InboundPath} (open, replay, policy, TUN
 * write) on the receive thread; the {@link OutboundPath} thread reads the TUN, finds the SA and seals into the
 * socket. This class is the control plane the engine drives: tunnels and their routes, SAs ({@link SaRegistry}),
 * and shutdown.
 */
public final class UserspaceDatapath implements Datapath {
    private static final Logger LOG = LoggerFactory.getLogger(UserspaceDatapath.class);
    /** Worst-case ESP-in-UDP overhead over IPv4: IP 20 + UDP 8 + ESP 8 + IV 16 + pad/trailer 17 + ICV 32. */
    public static final int WORST_CASE_OVERHEAD = 20 + 8 + 8 + 16 + 17 + 32;
    /** -Dstrait.tun.offload=false opens the TUN without IFF_VNET_HDR/TSO (one packet per read, as before). */
    static final String OFFLOAD_PROPERTY = "strait.tun.offload";
    /** -Dstrait.tun.gro=false writes decrypted packets one by one instead of merging TCP segments. */
    static final String GRO_PROPERTY = "strait.tun.gro";

    private final TunDevice tun;
    private final RtNetlink netlink;
    private final TunnelRoutes routes;
    private final BatchUdpSocket natt;
    private final OutboundPath outbound;
    private final SaRegistry sas;
    private final Events events;
    private final MeterRegistry registry;
    private final List<Meter> unattributedMeters;
    private volatile boolean closed;

    private UserspaceDatapath(TunDevice tun, RtNetlink netlink, BatchUdpSocket natt, OutboundPath outbound,
                              SaRegistry sas, Events events, MeterRegistry registry, List<Meter> unattributedMeters) {
        this.tun = tun;
        this.netlink = netlink;
        this.routes = new TunnelRoutes(netlink, tun.ifIndex());
        this.natt = natt;
        this.outbound = outbound;
        this.sas = sas;
        this.events = events;
        this.registry = registry;
        this.unattributedMeters = unattributedMeters;
    }

    /** Tunnel MTU: the configured one, else the path MTU minus the worst-case ESP-in-UDP overhead. */
    public static int tunnelMtu(GatewayConfig.Datapath config) {
        if (config != null && config.mtu != null) {
            return config.mtu;
        }
        int path = config == null || config.pathMtu == null ? 1500 : config.pathMtu;
        return path - WORST_CASE_OVERHEAD;
    }

    /** Opens the TUN device and the 4500 socket in the caller's network namespace and starts both threads. */
    public static UserspaceDatapath start(GatewayConfig.Datapath config, InetSocketAddress nattBind,
                                          IkePacketHandler ike, MeterRegistry registry) throws IOException {
        int mtu = tunnelMtu(config);
        if (mtu < 576 || mtu > 65000) {
            throw new IllegalArgumentException("tunnel MTU " + mtu + " is outside 576..65000");
        }
        String name = config == null || config.tunName == null ? "strait0" : config.tunName;
        boolean offload = !"false".equalsIgnoreCase(System.getProperty(OFFLOAD_PROPERTY));
        boolean gro = !"false".equalsIgnoreCase(System.getProperty(GRO_PROPERTY));
        TunDevice tun = TunDevice.open(name, offload);
        RtNetlink nl = null;
        BatchUdpSocket natt = null;
        try {
            nl = RtNetlink.open();
            nl.setLinkUp(tun.ifIndex(), mtu);
            Events events = new Events();
            EspCounters unattributed = new EspCounters(null);
            SaRegistry sas = new SaRegistry(registry, Sockaddr.forBind(nattBind), events);
            PathContext context = new PathContext(tun, mtu, sas, events, unattributed);
            natt = new BatchUdpSocket(nattBind, new Demultiplexer(ike, new InboundPath(context, gro)));
            OutboundPath out = new OutboundPath(context, natt.esp());
            UserspaceDatapath dp = new UserspaceDatapath(tun, nl, natt, out, sas, events, registry,
                    EspMetrics.register(registry, "", unattributed));
            natt.start();
            out.start();
            LOG.info("datapath up: TUN {} (index {}, MTU {}, offloads 0x{}), UDP {} (GSO {}, GRO {})", name,
                    tun.ifIndex(), mtu, Integer.toHexString(tun.offloads()), natt.localAddress(), natt.esp().gso(),
                    natt.rxGro());
            return dp;
        } catch (IOException | RuntimeException e) {
            if (natt != null) {
                natt.close();
            }
            if (nl != null) {
                nl.close();
            }
            tun.close();
            throw e;
        }
    }

    public NattSocket natt() {
        return natt;
    }

    @Override
    public void addTunnel(String name, List<Cidr> localSubnets, List<Cidr> remoteSubnets,
                          boolean initiateOnTraffic) {
        sas.configureTunnel(name, localSubnets, remoteSubnets, initiateOnTraffic);
        routes.add(name, remoteSubnets);
    }

    @Override
    public void removeTunnel(String name) {
        if (sas.removeTunnel(name)) {
            routes.remove(name);
        }
    }

    @Override
    public void installChildSa(ChildSaSpec spec, Outbound outbound) {
        sas.install(spec, outbound);
    }

    @Override
    public void removeChildSa(int inboundSpi) {
        sas.remove(inboundSpi);
    }

    @Override
    public SaCounters counters(int inboundSpi) {
        return sas.counters(inboundSpi);
    }

    @Override
    public void setListener(Listener l) {
        events.setListener(l);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        natt.close();
        outbound.close();
        routes.removeAll();
        sas.clear();
        EspMetrics.remove(registry, unattributedMeters);
        tun.close();
        netlink.close();
    }
}
