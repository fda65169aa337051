package dev.strait.gateway.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Forwards every TCP connection accepted on a listening channel to one target (tests put it in front of the
 * kube-apiserver). {@link #cut()} drops every connection and refuses new ones: a network partition.
 */
public final class TcpForwarder implements AutoCloseable {
    private final ServerSocketChannel server;
    private final InetSocketAddress target;
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
    private volatile boolean cut;

    /** Takes over an already bound channel, e.g. one bound inside another network namespace. */
    public TcpForwarder(ServerSocketChannel server, InetSocketAddress target) {
        this.server = server;
        this.target = target;
        Thread.ofVirtual().name("tcp-forwarder-accept").start(this::accept);
    }

    /** Listens on an ephemeral loopback port ({@link #port()}). */
    public static TcpForwarder onLoopback(InetSocketAddress target) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        return new TcpForwarder(server, target);
    }

    public int port() throws IOException {
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    private void accept() {
        while (server.isOpen()) {
            SocketChannel in;
            try {
                in = server.accept();
            } catch (IOException e) {
                continue; // closed: the loop ends
            }
            try {
                if (cut) {
                    in.close();
                    continue;
                }
                SocketChannel out = SocketChannel.open(target);
                open.add(in);
                open.add(out);
                Thread.ofVirtual().start(() -> pump(in, out));
                Thread.ofVirtual().start(() -> pump(out, in));
            } catch (IOException e) {
                closeQuietly(in); // the target refused: the client sees a dropped connection
            }
        }
    }

    private static void pump(SocketChannel from, SocketChannel to) {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        try {
            while (from.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    to.write(buf);
                }
                buf.clear();
            }
        } catch (IOException e) {
            // one side went away
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** Drops every open connection and refuses new ones. */
    public void cut() {
        cut = true;
        open.forEach(TcpForwarder::closeQuietly);
    }

    @Override
    public void close() throws IOException {
        cut();
        server.close();
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
