package dev.strait.gateway.datapath.udp;

import static dev.strait.gateway.linux.LibC.CMSG_HDR;
import static dev.strait.gateway.linux.LibC.CMSG_SPACE_INT;
import static dev.strait.gateway.linux.LibC.IOVEC_SIZE;
import static dev.strait.gateway.linux.LibC.MMSG_LEN;
import static dev.strait.gateway.linux.LibC.MMSG_SIZE;
import static dev.strait.gateway.linux.LibC.MSG_CONTROL;
import static dev.strait.gateway.linux.LibC.MSG_CONTROLLEN;
import static dev.strait.gateway.linux.LibC.MSG_IOV;
import static dev.strait.gateway.linux.LibC.MSG_IOVLEN;
import static dev.strait.gateway.linux.LibC.MSG_NAME;
import static dev.strait.gateway.linux.LibC.MSG_NAMELEN;
import static dev.strait.gateway.linux.LibC.SOL_UDP;
import static dev.strait.gateway.linux.LibC.UDP_GRO;
import static dev.strait.gateway.linux.LibC.UDP_SEGMENT;

import dev.strait.gateway.datapath.spi.NattSocket;
import dev.strait.gateway.esp.ReceiveClock;
import dev.strait.gateway.linux.LibC;
import dev.strait.gateway.linux.Sockaddr;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A UDP socket driven through FFM so that many datagrams move per syscall: the receive thread takes up to
 * {@value MmsgBatch#SLOTS} datagrams per recvmmsg (cut apart again when UDP GRO merged several) and hands each to a
 * {@link DatagramSink}; the encrypting thread sends through {@link #esp()} (UDP GSO runs or sendmmsg). Control
 * messages (IKE, keepalives) leave from any thread with {@link #sendIke} / {@link #sendKeepalive}.
 * A wildcard IPv4 bind (0.0.0.0) opens a dual-stack IPv6 socket, as DatagramChannel.open() did.
 */
public final class BatchUdpSocket implements NattSocket {
    private static final Logger LOG = LoggerFactory.getLogger(BatchUdpSocket.class);
    /** -Dstrait.udp.gso=false: one datagram per mmsghdr and no UDP_GRO. */
    public static final String GSO_PROPERTY = "strait.udp.gso";
    /** Socket buffers: a burst of 1400-byte packets at several Gbit/s must not overflow between two wake-ups. */
    private static final int SOCKET_BUFFER = 8 << 20;

    private final int fd;
    private final Sockaddr family;
    private final DatagramSink sink;
    private final InetSocketAddress local;
    private final LongAdder coalescedReceives = new LongAdder();
    private final MemorySegment pollFd;
    private final MmsgBatch rx;
    private final EspSender esp;
    private final boolean rxGro;
    /** UDP_SEGMENT worked at open: control sends then carry a cmsg that overrides the encryptor's socket option. */
    private final boolean gsoCapable;
    private final Thread receiver;
    private volatile boolean closed;

    public BatchUdpSocket(InetSocketAddress bind, DatagramSink sink) throws IOException {
        this.sink = sink;
        this.family = Sockaddr.forBind(bind);
        int s = LibC.socket(family.family(), LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        if (s < 0) {
            throw new IOException("cannot create a UDP socket: " + LibC.strerror(LibC.errno()));
        }
        this.fd = s;
        try (Arena a = Arena.ofConfined()) {
            LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_REUSEADDR, 1);
            if (family.v6()) {
                LibC.setsockopt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_V6ONLY, 0);
            }
            // FORCE needs CAP_NET_ADMIN (the gateway has it); otherwise the kernel caps at net.core.*mem_max.
            if (LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, SOCKET_BUFFER) < 0) {
                LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, SOCKET_BUFFER);
            }
            if (LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, SOCKET_BUFFER) < 0) {
                LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, SOCKET_BUFFER);
            }
            // UDP GSO (4.18+) and GRO (5.0+): probe with harmless values; without them, plain datagrams.
            boolean gso = !"false".equalsIgnoreCase(System.getProperty(GSO_PROPERTY));
            this.gsoCapable = gso && LibC.setsockopt(fd, SOL_UDP, UDP_SEGMENT, 0) == 0;
            this.rxGro = gso && LibC.setsockopt(fd, SOL_UDP, UDP_GRO, 1) == 0;
            InetSocketAddress b = bind.getAddress().isAnyLocalAddress() && family.v6()
                    ? new InetSocketAddress(InetAddress.getByAddress(new byte[16]), bind.getPort()) : bind;
            MemorySegment sa = a.allocate(Sockaddr.MAX, 8);
            int len = family.encode(b, sa);
            if (LibC.bind(fd, sa, len) < 0) {
                throw new IOException(LibC.strerror(LibC.errno()));
            }
            MemorySegment lenOut = a.allocateFrom(ValueLayout.JAVA_INT, Sockaddr.MAX);
            sa.fill((byte) 0);
            if (LibC.getsockname(fd, sa, lenOut) < 0) {
                throw new IOException("getsockname: " + LibC.strerror(LibC.errno()));
            }
            InetSocketAddress bound = Sockaddr.decode(sa);
            this.local = bind.getAddress().isAnyLocalAddress()
                    ? new InetSocketAddress(bind.getAddress(), bound.getPort()) : bound;
        } catch (IOException | RuntimeException e) {
            LibC.close(fd);
            throw new IOException("cannot bind UDP " + bind + ": " + e.getMessage(), e);
        }
        Arena arena = Arena.ofAuto();
        this.pollFd = arena.allocate(8, 4);
        pollFd.set(ValueLayout.JAVA_INT, 0, fd);
        pollFd.set(ValueLayout.JAVA_SHORT, 4, LibC.POLLIN);
        this.rx = new MmsgBatch(arena);
        if (rxGro) {
            // Room for the UDP_GRO cmsg that tells the segment size of a coalesced datagram.
            for (int i = 0; i < MmsgBatch.SLOTS; i++) {
                rx.msg(i).set(ValueLayout.ADDRESS, MSG_CONTROL, rx.control(i));
            }
        }
        this.esp = new EspSender(fd, local, gsoCapable, arena);
        receiver = Thread.ofPlatform().name("strait-udp-rx").daemon().unstarted(this::receiveLoop);
    }

    public void start() {
        receiver.start();
    }

    /** The encrypting thread's send side. */
    public EspSender esp() {
        return esp;
    }

    /** The socket address of a peer in this socket's family, encoded once per SA (reused for every packet). */
    public MemorySegment peerAddress(InetSocketAddress to) {
        return family.encode(to);
    }

    /** Whether the kernel coalesces received datagrams (UDP GRO). */
    public boolean rxGro() {
        return rxGro;
    }

    /** Received messages that UDP GRO had built from several datagrams. */
    public long coalescedReceives() {
        return coalescedReceives.sum();
    }

    private void receiveLoop() {
        byte[] buf = new byte[MmsgBatch.SLOT_BYTES];
        RxSource source = new RxSource();
        while (!closed) {
            if (LibC.poll(pollFd, 1, 100) <= 0) {
                continue;
            }
            if (rxGro) {
                for (int i = 0; i < MmsgBatch.SLOTS; i++) {
                    rx.msg(i).set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CMSG_SPACE_INT); // the kernel overwrote it
                }
            }
            int n = LibC.recvmmsg(fd, rx.msgs, MmsgBatch.SLOTS, LibC.MSG_DONTWAIT);
            if (n <= 0) {
                int err = LibC.errno();
                if (!closed && n < 0 && err != LibC.EAGAIN && err != LibC.EINTR) {
                    LOG.warn("UDP {} receive failed: {}", local, LibC.strerror(err));
                }
                continue;
            }
            ReceiveClock.tick();
            for (int i = 0; i < n; i++) {
                MemorySegment m = rx.msg(i);
                int len = m.get(ValueLayout.JAVA_INT, MMSG_LEN);
                m.set(ValueLayout.JAVA_INT, MSG_NAMELEN, Sockaddr.MAX); // the kernel overwrote it
                // UDP GRO: several datagrams of one flow arrive as one, cut at the size the cmsg gives.
                int segSize = rxGro ? groSegmentSize(m) : 0;
                if (segSize <= 0) {
                    segSize = len;
                } else if (segSize < len) {
                    coalescedReceives.increment();
                }
                source.slot = i;
                MemorySegment b = rx.buffer(i);
                for (int at = 0; at < len; at += segSize) {
                    int dlen = Math.min(segSize, len - at);
                    MemorySegment.copy(b, ValueLayout.JAVA_BYTE, at, buf, 0, dlen);
                    try {
                        sink.onDatagram(buf, dlen, source);
                    } catch (RuntimeException e) {
                        // A bug triggered by one datagram must not stop the receiver.
                        LOG.warn("datagram ({} bytes) not handled: {}", dlen, e.toString());
                    }
                }
            }
            try {
                sink.onBatchEnd();
            } catch (RuntimeException e) {
                LOG.warn("end of receive batch not handled: {}", e.toString());
            }
        }
    }

    /** The sender of the datagram in one receive slot, decoded on demand (receiver thread only). */
    private final class RxSource implements DatagramSink.Source {
        int slot;

        @Override
        public InetSocketAddress address() {
            return Sockaddr.decode(rx.name(slot));
        }
    }

    /** The UDP_GRO segment size from a received message's control data, or 0 when it was not coalesced. */
    private static int groSegmentSize(MemorySegment m) {
        long clen = m.get(ValueLayout.JAVA_LONG, MSG_CONTROLLEN);
        if (clen < CMSG_HDR + 4) {
            return 0;
        }
        MemorySegment c = m.get(ValueLayout.ADDRESS, MSG_CONTROL).reinterpret(CMSG_SPACE_INT);
        if (c.get(ValueLayout.JAVA_INT, 8) != SOL_UDP || c.get(ValueLayout.JAVA_INT, 12) != UDP_GRO) {
            return 0;
        }
        return c.get(ValueLayout.JAVA_INT, CMSG_HDR);
    }

    @Override
    public void sendIke(byte[] msg, int off, int len, InetSocketAddress to) throws IOException {
        byte[] d = new byte[len + 4];
        System.arraycopy(msg, off, d, 4, len);
        send(d, to);
    }

    @Override
    public void sendKeepalive(InetSocketAddress to) throws IOException {
        send(new byte[] {(byte) 0xFF}, to);
    }

    private void send(byte[] d, InetSocketAddress to) throws IOException {
        if (closed) {
            throw new IOException("UDP " + local + " is closed");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(Sockaddr.MAX, 8);
            int alen = family.encode(to, sa);
            MemorySegment data = a.allocateFrom(ValueLayout.JAVA_BYTE, d);
            long n;
            if (gsoCapable) {
                // The encryptor may have set UDP_SEGMENT on the socket: a cmsg of 0 keeps this datagram whole.
                MemorySegment msg = a.allocate(MMSG_SIZE, 8);
                MemorySegment iov = a.allocate(IOVEC_SIZE, 8);
                MemorySegment control = a.allocate(CMSG_SPACE_INT, 8);
                iov.set(ValueLayout.ADDRESS, 0, data);
                iov.set(ValueLayout.JAVA_LONG, 8, d.length);
                control.set(ValueLayout.JAVA_LONG, 0, CMSG_HDR + 2);
                control.set(ValueLayout.JAVA_INT, 8, SOL_UDP);
                control.set(ValueLayout.JAVA_INT, 12, UDP_SEGMENT);
                msg.set(ValueLayout.ADDRESS, MSG_NAME, sa);
                msg.set(ValueLayout.JAVA_INT, MSG_NAMELEN, alen);
                msg.set(ValueLayout.ADDRESS, MSG_IOV, iov);
                msg.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1);
                msg.set(ValueLayout.ADDRESS, MSG_CONTROL, control);
                msg.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CMSG_SPACE_INT);
                n = LibC.sendmmsg(fd, msg, 1, 0);
            } else {
                n = LibC.sendto(fd, data, d.length, 0, sa, alen);
            }
            if (n < 0) {
                throw new IOException("send to " + to + ": " + LibC.strerror(LibC.errno()));
            }
        }
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
        if (Thread.currentThread() != receiver && receiver.isAlive()) {
            try {
                receiver.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LibC.close(fd);
        LOG.debug("UDP {} closed (UDP GSO {}, GRO {}, {} coalesced receives)", local, esp.gso(), rxGro,
                coalescedReceives.sum());
    }
}
