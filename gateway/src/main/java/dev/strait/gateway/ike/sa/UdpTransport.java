package dev.strait.gateway.ike.sa;

import dev.strait.gateway.datapath.spi.NattSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production transport: UDP 500 with its own receive thread, and the datapath's NAT-T socket for UDP 4500 (IKE
 * arriving there reaches the engine through {@link IkeEngine#onNattPacket}, off the ESP receive thread).
 */
final class UdpTransport implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(UdpTransport.class);

    private final InetSocketAddress bind;
    private final NattSocket natt;
    private final int configuredNattPort;
    private volatile DatagramChannel channel;
    private volatile boolean closed;
    private Thread receiver;

    UdpTransport(InetSocketAddress bind, NattSocket natt, int configuredNattPort) {
        this.bind = bind;
        this.natt = natt;
        this.configuredNattPort = configuredNattPort;
    }

    @Override
    public void start(Receiver r) throws IOException {
        InetAddress bindAddress = bind.getAddress();
        DatagramChannel ch = DatagramChannel.open(bindAddress instanceof java.net.Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        // Room for bursts: a flood of small datagrams must not overflow the default buffer before the receiver runs.
        ch.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
        ch.bind(bind);
        channel = ch;
        receiver = Thread.ofPlatform().name("ike-rx-" + bind.getPort()).daemon().start(() -> receiveLoop(r));
        LOG.info("IKE listening on {} and NAT-T {}", ch.getLocalAddress(), natt == null ? "-" : natt.localAddress());
    }

    private void receiveLoop(Receiver r) {
        ByteBuffer buf = ByteBuffer.allocate(65535);
        while (!closed) {
            try {
                buf.clear();
                InetSocketAddress from = (InetSocketAddress) channel.receive(buf);
                if (from == null) {
                    continue;
                }
                buf.flip();
                byte[] raw = new byte[buf.remaining()];
                buf.get(raw);
                r.receive(raw, from, false);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    LOG.warn("IKE receive failed: {}", e.toString());
                }
            }
        }
    }

    @Override
    public void send(byte[] message, InetSocketAddress to, boolean viaNatt) {
        try {
            if (viaNatt) {
                natt.sendIke(message, 0, message.length, to);
            } else {
                channel.send(ByteBuffer.wrap(message), to);
            }
        } catch (IOException e) {
            LOG.warn("sending IKE message to {} failed: {}", to, e.toString());
        }
    }

    @Override
    public void sendNatKeepalive(InetSocketAddress to) {
        try {
            natt.sendKeepalive(to);
        } catch (IOException e) {
            LOG.warn("sending a NAT keepalive to {} failed: {}", to, e.toString());
        }
    }

    @Override
    public int ikePort() {
        try {
            return channel != null ? ((InetSocketAddress) channel.getLocalAddress()).getPort() : bind.getPort();
        } catch (IOException e) {
            return bind.getPort();
        }
    }

    @Override
    public int nattPort() {
        return natt != null ? natt.localAddress().getPort() : configuredNattPort;
    }

    /** Connecting a UDP socket sends nothing; it only asks the routing table for the source address. */
    @Override
    public InetSocketAddress localAddressFor(InetSocketAddress peer, int port) {
        InetAddress bound = bind.getAddress();
        if (!bound.isAnyLocalAddress()) {
            return new InetSocketAddress(bound, port);
        }
        try (DatagramChannel probe = DatagramChannel.open()) {
            probe.connect(peer);
            return new InetSocketAddress(((InetSocketAddress) probe.getLocalAddress()).getAddress(), port);
        } catch (IOException e) {
            return new InetSocketAddress(bound, port);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // closing anyway
        }
        // The socket is released only once the receiver has left its blocking receive: wait, so a restart can bind.
        if (receiver != null) {
            try {
                receiver.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
