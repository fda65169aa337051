package dev.strait.gateway.datapath;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.datapath.spi.ChildSaSpec;
import dev.strait.gateway.datapath.spi.Datapath;
import java.util.List;

/**
 * Datapath mode None: IKE only. Nothing is installed and ESP arriving on 4500 is dropped. Also the base of doubles
 * (the handshake benchmark's) that watch a few calls and ignore the rest.
 */
public class NoopDatapath implements Datapath {
    @Override
    public void addTunnel(String tunnel, List<Cidr> localSubnets, List<Cidr> remoteSubnets,
                          boolean initiateOnTraffic) {
    }

    @Override
    public void removeTunnel(String tunnel) {
    }

    @Override
    public void installChildSa(ChildSaSpec sa, Outbound outbound) {
    }

    @Override
    public void removeChildSa(int inboundSpi) {
    }

    @Override
    public SaCounters counters(int inboundSpi) {
        return null;
    }

    @Override
    public void setListener(Listener listener) {
    }

    @Override
    public void close() {
    }
}
