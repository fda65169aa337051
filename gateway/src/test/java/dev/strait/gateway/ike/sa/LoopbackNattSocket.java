package dev.strait.gateway.ike.sa;

import dev.strait.gateway.datapath.IkePacketHandler;
import dev.strait.gateway.datapath.NattSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/** Test double: a plain UDP 4500 socket that passes IKE (after the non-ESP marker) to the engine and ignores ESP. */
final class LoopbackNattSocket implements NattSocket {
    private final DatagramChannel channel;
    private final Thread receiver;
    /** Simulated loss: while set, the first copy of every IKE request sent is dropped; its retransmission goes out. */
    volatile boolean dropFirstCopyOfRequests;
    /** Simulated outage: while set, every IKE request sent is dropped, retransmissions too. */
    volatile boolean dropRequests;
    /** The requests dropped that way (one per request, however often it is retransmitted). */
    private final java.util.Set<String> droppedRequests = java.util.concurrent.ConcurrentHashMap.newKeySet();

    LoopbackNattSocket(InetSocketAddress bind, IkePacketHandler ike) throws IOException {
        channel = DatagramChannel.open();
        channel.bind(bind);
        receiver = Thread.ofPlatform().daemon().start(() -> {
            ByteBuffer b = ByteBuffer.allocate(65535);
            while (channel.isOpen()) {
                try {
                    b.clear();
                    InetSocketAddress from = (InetSocketAddress) channel.receive(b);
                    byte[] a = b.array();
                    if (b.position() > 4 && a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0) {
                        ike.onIkePacket(a, 4, b.position() - 4, from);
                    }
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @Override
    public void sendIke(byte[] msg, int off, int len, InetSocketAddress to) throws IOException {
        boolean request = len > 19 && (msg[off + 19] & 0x20) == 0; // IKE header flags: R (response) bit clear
        if (dropRequests && request) {
            return;
        }
        if (dropFirstCopyOfRequests && request
                && droppedRequests.add(java.util.HexFormat.of().formatHex(msg, off, off + len))) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(len + 4);
        b.putInt(0).put(msg, off, len).flip();
        channel.send(b, to);
    }

    /** How many distinct requests lost their first copy to dropFirstCopyOfRequests. */
    int droppedRequests() {
        return droppedRequests.size();
    }

    @Override
    public void sendKeepalive(InetSocketAddress to) throws IOException {
        channel.send(ByteBuffer.wrap(new byte[] {(byte) 0xff}), to);
    }

    @Override
    public InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // test teardown
        }
        receiver.interrupt();
        // the socket is released only once the receiver has left its blocking receive: wait, so the next test can bind
        try {
            receiver.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
