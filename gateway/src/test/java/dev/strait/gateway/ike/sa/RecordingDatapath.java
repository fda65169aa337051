package dev.strait.gateway.ike.sa;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.datapath.NoopDatapath;
import dev.strait.gateway.datapath.spi.ChildSaSpec;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Test double: remembers which Child SAs the engine installed. */
public final class RecordingDatapath extends NoopDatapath {
    public final Map<Integer, ChildSaSpec> installed = new ConcurrentHashMap<>();
    final Map<String, List<Cidr>> routes = new ConcurrentHashMap<>();
    /** "+spi" / "-spi" in the order the engine called us: make-before-break shows as + before -. */
    final List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** How each installed SA's outbound was asked to start, by inbound SPI. */
    final Map<Integer, Outbound> outbound = new ConcurrentHashMap<>();

    @Override
    public void addTunnel(String tunnel, List<Cidr> localSubnets, List<Cidr> remoteSubnets, boolean initiateOnTraffic) {
        routes.put(tunnel, remoteSubnets);
    }

    @Override
    public void removeTunnel(String tunnel) {
        routes.remove(tunnel);
    }

    @Override
    public void installChildSa(ChildSaSpec sa, Outbound outbound) {
        installed.put(sa.inboundSpi(), sa);
        this.outbound.put(sa.inboundSpi(), outbound);
        events.add("+" + Integer.toHexString(sa.inboundSpi()));
    }

    @Override
    public void removeChildSa(int inboundSpi) {
        installed.remove(inboundSpi);
        events.add("-" + Integer.toHexString(inboundSpi));
    }
}
