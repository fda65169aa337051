package dev.strait.gateway.datapath;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.gateway.datapath.demux.Demultiplexer;
import dev.strait.gateway.datapath.demux.EspSink;
import dev.strait.gateway.datapath.spi.Datapath;
import dev.strait.gateway.datapath.spi.IkePacketHandler;
import dev.strait.gateway.datapath.spi.NattSocket;
import dev.strait.gateway.datapath.udp.BatchUdpSocket;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;

/** Starts the configured datapath and the UDP 4500 socket it shares with IKE. */
public final class Datapaths {
    private Datapaths() {
    }

    public record Started(Datapath datapath, NattSocket natt) {
    }

    /**
     * @param config   datapath section of the gateway YAML (mode Userspace: TUN + ESP; None: IKE only, ESP dropped)
     * @param nattBind address and port (normally 4500) to bind
     * @param ike      receives IKE messages arriving on the NAT-T port
     * @param registry where per-tunnel ESP counters are registered (strait_esp_* names)
     */
    public static Started start(GatewayConfig.Datapath config, InetSocketAddress nattBind, IkePacketHandler ike,
                                MeterRegistry registry) throws IOException {
        String mode = config == null || config.mode == null ? "Userspace" : config.mode;
        if (mode.equalsIgnoreCase("None")) {
            BatchUdpSocket natt = new BatchUdpSocket(nattBind, new Demultiplexer(ike, EspSink.NONE));
            natt.start();
            return new Started(new NoopDatapath(), natt);
        }
        if (mode.equalsIgnoreCase("Userspace")) {
            UserspaceDatapath dp = UserspaceDatapath.start(config, nattBind, ike, registry);
            return new Started(dp, dp.natt());
        }
        throw new IllegalArgumentException("datapath mode '" + mode + "' is not one of Userspace, None");
    }
}
