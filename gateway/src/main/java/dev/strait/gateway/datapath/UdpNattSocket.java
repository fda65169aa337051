package dev.strait.gateway.datapath;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UDP 4500 (RFC 3948): one platform thread receives and classifies datagrams. IKE (non-ESP marker) is copied and
 * handed to the engine on this thread; keepalives are counted; everything else goes to the ESP sink, which may
 * use the receive buffer only during the call.
 */
final class UdpNattSocket implements NattSocket {
    private static final Logger LOG = LoggerFactory.getLogger(UdpNattSocket.class);
    private static final int BUFFER = 65536;

    /** Receives ESP-in-UDP datagrams; buf is reused after the call returns. */
    interface EspSink {
        void onEsp(byte[] buf, int len, InetSocketAddress from);
    }

    private final DatagramChannel channel;
    private final IkePacketHandler ike;
    private final EspSink esp;
    private final InetSocketAddress local;
    private final LongAdder keepalives = new LongAdder();
    private final LongAdder ikePackets = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private final Thread receiver;
    private volatile boolean closed;

    UdpNattSocket(InetSocketAddress bind, IkePacketHandler ike, EspSink esp) throws IOException {
        this.ike = ike;
        this.esp = esp;
        this.channel = bind.getAddress() instanceof Inet4Address && !bind.getAddress().isAnyLocalAddress()
                ? DatagramChannel.open(StandardProtocolFamily.INET) : DatagramChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
            channel.bind(bind);
            this.local = (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot bind UDP " + bind + ": " + e.getMessage(), e);
        }
        receiver = Thread.ofPlatform().name("strait-udp-rx").daemon().unstarted(this::receiveLoop);
    }

    void start() {
        receiver.start();
    }

    long keepalives() {
        return keepalives.sum();
    }

    long ikePackets() {
        return ikePackets.sum();
    }

    long malformed() {
        return malformed.sum();
    }

    /** Sends one ESP datagram (bb positioned at the packet); false when the kernel refused it. */
    boolean sendEsp(ByteBuffer bb, InetSocketAddress to) {
        try {
            return channel.send(bb, to) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    private void receiveLoop() {
        byte[] buf = new byte[BUFFER];
        ByteBuffer bb = ByteBuffer.wrap(buf);
        while (!closed) {
            SocketAddress from;
            try {
                bb.clear();
                from = channel.receive(bb);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("UDP {} receive failed: {}", local, e.toString());
                }
                continue;
            }
            int len = bb.position();
            try {
                classify(buf, len, (InetSocketAddress) from);
            } catch (RuntimeException e) {
                // A bug triggered by one datagram must not stop the receiver.
                malformed.increment();
                LOG.warn("datagram from {} ({} bytes) not handled: {}", from, len, e.toString());
            }
        }
    }

    private void classify(byte[] buf, int len, InetSocketAddress from) {
        if (len == 1 && buf[0] == (byte) 0xFF) {
            keepalives.increment();
        } else if (len >= 4 && buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0) {
            ikePackets.increment();
            byte[] msg = java.util.Arrays.copyOfRange(buf, 4, len);
            ike.onIkePacket(msg, 0, msg.length, from);
        } else if (len < 8) {
            malformed.increment();
        } else {
            esp.onEsp(buf, len, from);
        }
    }

    @Override
    public void sendIke(byte[] msg, int off, int len, InetSocketAddress to) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(len + 4);
        bb.putInt(0).put(msg, off, len).flip();
        channel.send(bb, to);
    }

    @Override
    public void sendKeepalive(InetSocketAddress to) throws IOException {
        channel.send(ByteBuffer.wrap(new byte[] {(byte) 0xFF}), to);
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing UDP {}: {}", local, e.toString());
        }
        if (Thread.currentThread() != receiver && receiver.isAlive()) {
            try {
                receiver.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
