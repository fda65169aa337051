package dev.strait.gateway.datapath;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UDP 4500 (RFC 3948) on a socket driven through FFM so that many datagrams move per syscall: the receiver thread
 * takes up to {@value #BATCH} datagrams per recvmmsg, and the encrypting thread queues ESP packets and sends them
 * with one sendmmsg per batch. IKE (non-ESP marker) is copied and handed to the engine on the receiver thread;
 * keepalives are counted; everything else goes to the ESP sink, which may use the buffer only during the call.
 * A wildcard IPv4 bind (0.0.0.0) opens a dual-stack IPv6 socket, as DatagramChannel.open() did.
 */
final class UdpNattSocket implements NattSocket {
    private static final Logger LOG = LoggerFactory.getLogger(UdpNattSocket.class);
    static final int BATCH = 32;
    private static final int SLOT = 65536;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEADDR = 2;
    private static final int SO_SNDBUF = 7;
    private static final int SO_RCVBUF = 8;
    private static final int SO_SNDBUFFORCE = 32;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_V6ONLY = 26;
    private static final int MSG_DONTWAIT = 0x40;
    private static final short POLLOUT = 4;
    private static final int SOCKADDR_MAX = 28;
    /** struct msghdr / mmsghdr on LP64 Linux. */
    private static final int MSG_NAME = 0;
    private static final int MSG_NAMELEN = 8;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_CONTROL = 32;
    private static final int MSG_CONTROLLEN = 40;
    private static final int MMSG_LEN = 56;
    private static final int MMSG_SIZE = 64;
    private static final int IOVEC_SIZE = 16;
    private static final int SOL_UDP = 17;
    private static final int UDP_SEGMENT = 103;
    private static final int UDP_GRO = 104;
    /** CMSG_SPACE(4) on LP64: 16-byte header + data rounded to 8. */
    private static final int CMSG_SPACE = 24;
    private static final int EIO = 5;
    private static final int EINVAL = 22;
    /** UDP GSO limits: at most 64 segments (UDP_MAX_SEGMENTS before 6.x) and one IP datagram's payload. */
    private static final int GSO_MAX_SEGMENTS = 64;
    private static final int GSO_MAX_BYTES = 65535 - 40 - 8;
    /** -Dstrait.udp.gso=false: one datagram per mmsghdr and no UDP_GRO. */
    static final String GSO_PROPERTY = "strait.udp.gso";
    /** Socket buffers: a burst of 1400-byte packets at several Gbit/s must not overflow between two wake-ups. */
    private static final int SOCKET_BUFFER = 8 << 20;

    /** Receives ESP-in-UDP datagrams; buf is reused after the call returns. */
    interface EspSink {
        void onEsp(byte[] buf, int len);

        /** After the last datagram of one recvmmsg batch: the moment to flush anything held back (GRO). */
        default void onBatchEnd() {
        }
    }

    private final int fd;
    private final boolean v6;
    private final IkePacketHandler ike;
    private final EspSink esp;
    private final InetSocketAddress local;
    private final LongAdder keepalives = new LongAdder();
    private final LongAdder ikePackets = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder coalescedReceives = new LongAdder();
    private final MemorySegment pollFd;
    private final Batch rx;
    private final Batch tx;
    private int queued;
    /** UDP GSO on send: datagrams of equal size to one peer share a slot and leave with one UDP_SEGMENT cmsg. */
    private volatile boolean txGso;
    private final boolean rxGro;
    private final int[] slotSegments = new int[BATCH];
    private int slotBytes;
    private int slotSegSize;
    private boolean slotClosed;
    private MemorySegment slotTo;
    /**
     * With UDP GSO the encryptor seals ESP datagrams back to back into this heap array ({@link #reserveEsp}), and a
     * run of equal-sized ones to one peer leaves with one sendto straight from the heap (no copy into a native
     * slot) while the socket's UDP_SEGMENT option holds their size. Without GSO it is a one-datagram staging area
     * for {@link #queueEsp}.
     */
    private final byte[] run = new byte[GSO_MAX_BYTES + 65536 + 1024];
    private int runBytes;
    private int runCount;
    private int runSegSize;
    private boolean runClosed;
    private MemorySegment runTo;
    private MemorySegment reservedTo;
    private int reservedAt = -1;
    /** The socket's UDP_SEGMENT value now (changed only by the encrypting thread; other sends override it). */
    private volatile int socketGso;
    /** UDP_SEGMENT worked at open: other threads' sends then carry a cmsg that overrides the socket option. */
    private final boolean gsoCapable;
    private final MemorySegment pollOut;
    private final Thread receiver;
    private volatile boolean closed;

    /** Native mmsghdr array with one iovec, one buffer and one sockaddr per slot. */
    private static final class Batch {
        final MemorySegment msgs;
        final MemorySegment names;
        final MemorySegment buffers;
        final MemorySegment controls;

        Batch(Arena arena) {
            msgs = arena.allocate((long) MMSG_SIZE * BATCH, 8);
            names = arena.allocate((long) SOCKADDR_MAX * BATCH, 8);
            buffers = arena.allocate((long) SLOT * BATCH, 64);
            controls = arena.allocate((long) CMSG_SPACE * BATCH, 8);
            MemorySegment iovs = arena.allocate((long) IOVEC_SIZE * BATCH, 8);
            for (int i = 0; i < BATCH; i++) {
                MemorySegment iov = iovs.asSlice((long) i * IOVEC_SIZE, IOVEC_SIZE);
                iov.set(ValueLayout.ADDRESS, 0, buffers.asSlice((long) i * SLOT, SLOT));
                iov.set(ValueLayout.JAVA_LONG, 8, SLOT);
                MemorySegment m = msg(i);
                m.set(ValueLayout.ADDRESS, MSG_NAME, names.asSlice((long) i * SOCKADDR_MAX, SOCKADDR_MAX));
                m.set(ValueLayout.JAVA_INT, MSG_NAMELEN, SOCKADDR_MAX);
                m.set(ValueLayout.ADDRESS, MSG_IOV, iov);
                m.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1);
            }
        }

        MemorySegment msg(int i) {
            return msgs.asSlice((long) i * MMSG_SIZE, MMSG_SIZE);
        }

        MemorySegment buffer(int i) {
            return buffers.asSlice((long) i * SLOT, SLOT);
        }

        MemorySegment control(int i) {
            return controls.asSlice((long) i * CMSG_SPACE, CMSG_SPACE);
        }
    }

    UdpNattSocket(InetSocketAddress bind, IkePacketHandler ike, EspSink esp) throws IOException {
        this.ike = ike;
        this.esp = esp;
        this.v6 = !(bind.getAddress() instanceof Inet4Address) || bind.getAddress().isAnyLocalAddress();
        int s = LibC.socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0) {
            throw new IOException("cannot create a UDP socket: " + LibC.strerror(LibC.errno()));
        }
        this.fd = s;
        try (Arena a = Arena.ofConfined()) {
            LibC.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
            if (v6) {
                LibC.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
            }
            // FORCE needs CAP_NET_ADMIN (the gateway has it); otherwise the kernel caps at net.core.*mem_max.
            if (LibC.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, SOCKET_BUFFER) < 0) {
                LibC.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, SOCKET_BUFFER);
            }
            if (LibC.setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, SOCKET_BUFFER) < 0) {
                LibC.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, SOCKET_BUFFER);
            }
            // UDP GSO (4.18+) and GRO (5.0+): probe with harmless values; without them, plain datagrams.
            boolean gso = !"false".equalsIgnoreCase(System.getProperty(GSO_PROPERTY));
            this.txGso = gso && LibC.setsockopt(fd, SOL_UDP, UDP_SEGMENT, 0) == 0;
            this.gsoCapable = txGso;
            this.rxGro = gso && LibC.setsockopt(fd, SOL_UDP, UDP_GRO, 1) == 0;
            InetSocketAddress b = bind.getAddress().isAnyLocalAddress() && v6
                    ? new InetSocketAddress(InetAddress.getByAddress(new byte[16]), bind.getPort()) : bind;
            MemorySegment sa = a.allocate(SOCKADDR_MAX, 8);
            int len = encode(b, sa);
            if (LibC.bind(fd, sa, len) < 0) {
                throw new IOException(LibC.strerror(LibC.errno()));
            }
            MemorySegment lenOut = a.allocateFrom(ValueLayout.JAVA_INT, SOCKADDR_MAX);
            sa.fill((byte) 0);
            if (LibC.getsockname(fd, sa, lenOut) < 0) {
                throw new IOException("getsockname: " + LibC.strerror(LibC.errno()));
            }
            InetSocketAddress bound = decode(sa);
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
        this.pollOut = arena.allocate(8, 4);
        pollOut.set(ValueLayout.JAVA_INT, 0, fd);
        pollOut.set(ValueLayout.JAVA_SHORT, 4, POLLOUT);
        this.rx = new Batch(arena);
        this.tx = new Batch(arena);
        for (int i = 0; i < BATCH; i++) {
            // tx: a ready UDP_SEGMENT cmsg per slot (attached only when the slot holds several datagrams);
            // rx: room for the UDP_GRO cmsg that tells the segment size of a coalesced datagram.
            MemorySegment c = tx.control(i);
            c.set(ValueLayout.JAVA_LONG, 0, 16 + 2);
            c.set(ValueLayout.JAVA_INT, 8, SOL_UDP);
            c.set(ValueLayout.JAVA_INT, 12, UDP_SEGMENT);
            if (rxGro) {
                rx.msg(i).set(ValueLayout.ADDRESS, MSG_CONTROL, rx.control(i));
            }
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

    /** Received messages that UDP GRO had built from several datagrams. */
    long coalescedReceives() {
        return coalescedReceives.sum();
    }

    /** The socket address of a peer in this socket's family, encoded once per SA (reused for every packet). */
    MemorySegment peerAddress(InetSocketAddress to) {
        MemorySegment sa = Arena.ofAuto().allocate(SOCKADDR_MAX, 8);
        int len = encode(to, sa);
        return sa.asSlice(0, len);
    }

    /** Whether sends use UDP GSO (false when the kernel lacks it, it was disabled, or it failed once). */
    boolean txGso() {
        return txGso;
    }

    boolean rxGro() {
        return rxGro;
    }

    /**
     * Room for the next ESP datagram to {@code to}, at most maxLen bytes: seal it into {@link #espBuffer()} at the
     * returned offset, then {@link #commitEsp}. Only the single encrypting thread may call this.
     */
    int reserveEsp(MemorySegment to, int maxLen) {
        if (reservedAt >= 0) {
            throw new IllegalStateException("an ESP reservation is open");
        }
        if (maxLen > 65536) {
            throw new IllegalArgumentException("ESP datagram of " + maxLen + " bytes");
        }
        reservedTo = to;
        if (!txGso) {
            reservedAt = 0;
            return 0;
        }
        if (runCount > 0 && (to != runTo || runClosed || runCount >= GSO_MAX_SEGMENTS
                || runBytes + maxLen > GSO_MAX_BYTES)) {
            pendingFailed += sendRun();
        }
        reservedAt = runBytes;
        return reservedAt;
    }

    byte[] espBuffer() {
        return run;
    }

    /**
     * The datagram of len bytes sealed at the reserved offset is complete: it joins the run (or is queued).
     * @return datagrams the kernel refused in sends this reservation triggered (usually 0)
     */
    int commitEsp(int len) {
        int at = reservedAt;
        if (at < 0) {
            throw new IllegalStateException("nothing reserved");
        }
        reservedAt = -1;
        int failed = pendingFailed;
        pendingFailed = 0;
        if (len <= 0) {
            return failed; // nothing was sealed (the packet was dropped)
        }
        if (!txGso) {
            if (runCount > 0) {
                failed += sendRun(); // GSO was switched off after this run began
                System.arraycopy(run, at, run, 0, len);
                at = 0;
            }
            return failed + queueEsp(run, at, len, reservedTo);
        }
        if (runCount == 0) {
            runTo = reservedTo;
            runSegSize = len;
            runBytes = len;
            runCount = 1;
            runClosed = false;
        } else if (len <= runSegSize) {
            runBytes += len;
            runCount++;
            runClosed = len < runSegSize; // only the last datagram of a GSO send may be shorter
        } else {
            // Longer than the run's size: it cannot join. Send the run, then start a new one with it.
            int before = runBytes;
            failed += sendRun();
            System.arraycopy(run, before, run, 0, len);
            runTo = reservedTo;
            runSegSize = len;
            runBytes = len;
            runCount = 1;
        }
        return failed;
    }

    private int pendingFailed;

    /** Sends the run with one sendto from the heap; returns the datagrams the kernel refused. */
    private int sendRun() {
        int count = runCount;
        int bytes = runBytes;
        runCount = 0;
        runBytes = 0;
        runClosed = false;
        if (count == 0) {
            return 0;
        }
        // The socket option sets the segment size; a lone datagram must not be longer than it (else it is cut).
        int want = count > 1 ? runSegSize : (socketGso == 0 || socketGso >= bytes ? socketGso : 0);
        if (want != socketGso) {
            if (LibC.setsockopt(fd, SOL_UDP, UDP_SEGMENT, want) < 0) {
                LOG.warn("UDP {}: UDP_SEGMENT {} refused ({}), sending datagrams one by one", local, want,
                        LibC.strerror(LibC.errno()));
                txGso = false;
                return resendOneByOne(count, bytes);
            }
            socketGso = want;
        }
        MemorySegment data = MemorySegment.ofArray(run).asSlice(0, bytes);
        for (int attempt = 0; ; attempt++) {
            long n = LibC.sendtoHeap(fd, data, bytes, MSG_DONTWAIT, runTo, (int) runTo.byteSize());
            if (n >= 0) {
                return 0;
            }
            int err = LibC.errno();
            if (err == LibC.EINTR) {
                continue;
            }
            if (err == LibC.EAGAIN && attempt < 3) {
                LibC.poll(pollOut, 1, 100); // socket buffer full: wait outside the critical call
                continue;
            }
            if (count > 1 && (err == EIO || err == EINVAL)) {
                // The egress path cannot segment (as wireguard-go sees on some devices): stop using GSO.
                txGso = false;
                LOG.warn("UDP {}: UDP GSO refused ({}), sending datagrams one by one", local, LibC.strerror(err));
                return resendOneByOne(count, bytes);
            }
            return count;
        }
    }

    /** After GSO failed: the run's datagrams through the plain sendmmsg path (socket option back to 0). */
    private int resendOneByOne(int count, int bytes) {
        if (socketGso != 0 && LibC.setsockopt(fd, SOL_UDP, UDP_SEGMENT, 0) == 0) {
            socketGso = 0;
        }
        int failed = 0;
        for (int at = 0, i = 0; i < count; i++) {
            int len = Math.min(runSegSize, bytes - at);
            failed += queueEsp(run, at, len, runTo);
            at += len;
        }
        return failed + flushSlots();
    }

    /**
     * Queues one ESP datagram (copied) for {@code to} from {@link #peerAddress}; sends the batch when full.
     * With UDP GSO, a datagram of the same size as the previous one to the same peer (or the first shorter
     * one, which closes the run) joins its slot, so one mmsghdr carries up to 64 datagrams.
     * Only the single encrypting thread may call this and {@link #flushEsp}. Returns the datagrams not accepted by
     * the kernel in a flush this call triggered (usually 0).
     */
    int queueEsp(byte[] pkt, int len, MemorySegment to) {
        return queueEsp(pkt, 0, len, to);
    }

    private int queueEsp(byte[] pkt, int off, int len, MemorySegment to) {
        if (txGso && queued > 0 && !slotClosed && to == slotTo && len <= slotSegSize
                && slotBytes + len <= GSO_MAX_BYTES && slotSegments[queued - 1] < GSO_MAX_SEGMENTS) {
            int i = queued - 1;
            MemorySegment.copy(pkt, off, tx.buffer(i), ValueLayout.JAVA_BYTE, slotBytes, len);
            slotBytes += len;
            slotSegments[i]++;
            slotClosed = len < slotSegSize;
            return 0;
        }
        int failed = 0;
        if (queued == BATCH) {
            failed = flushSlots();
        }
        closeSlot();
        int i = queued;
        MemorySegment.copy(pkt, off, tx.buffer(i), ValueLayout.JAVA_BYTE, 0, len);
        MemorySegment m = tx.msg(i);
        m.set(ValueLayout.ADDRESS, MSG_NAME, to);
        m.set(ValueLayout.JAVA_INT, MSG_NAMELEN, (int) to.byteSize());
        slotSegments[i] = 1;
        slotBytes = len;
        slotSegSize = len;
        slotClosed = false;
        slotTo = to;
        queued = i + 1;
        return 0;
    }

    /** Fixes the open slot's length and, when it holds several datagrams, attaches the UDP_SEGMENT cmsg. */
    private void closeSlot() {
        if (queued == 0 || slotTo == null) {
            return;
        }
        int i = queued - 1;
        MemorySegment m = tx.msg(i);
        MemorySegment iov = m.get(ValueLayout.ADDRESS, MSG_IOV).reinterpret(IOVEC_SIZE);
        iov.set(ValueLayout.JAVA_LONG, 8, slotBytes);
        if (slotSegments[i] > 1) {
            tx.control(i).set(ValueLayout.JAVA_SHORT, 16, (short) slotSegSize);
            m.set(ValueLayout.ADDRESS, MSG_CONTROL, tx.control(i));
            m.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CMSG_SPACE);
        } else {
            m.set(ValueLayout.ADDRESS, MSG_CONTROL, MemorySegment.NULL);
            m.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, 0);
        }
        slotTo = null;
    }

    /** Sends everything queued with as few syscalls as the kernel allows; returns the datagrams it refused. */
    int flushEsp() {
        int runFailed = sendRun() + pendingFailed;
        pendingFailed = 0;
        return runFailed + flushSlots();
    }

    private int flushSlots() {
        closeSlot();
        int sent = 0;
        int failed = 0;
        while (sent < queued) {
            int n = LibC.sendmmsg(fd, tx.msgs.asSlice((long) sent * MMSG_SIZE), queued - sent, 0);
            if (n > 0) {
                sent += n;
            } else {
                int err = LibC.errno();
                if (n < 0 && err == LibC.EINTR) {
                    continue;
                }
                if (slotSegments[sent] > 1 && (err == EIO || err == EINVAL) && txGso) {
                    // The egress path cannot segment (as wireguard-go sees on some devices): stop using GSO.
                    txGso = false;
                    LOG.warn("UDP {}: UDP GSO refused ({}), sending datagrams one by one", local,
                            LibC.strerror(err));
                }
                // The first slot was refused (e.g. unreachable peer): count its datagrams and try the rest.
                failed += slotSegments[sent];
                sent++;
            }
        }
        queued = 0;
        return failed;
    }

    private void receiveLoop() {
        byte[] buf = new byte[SLOT];
        while (!closed) {
            if (LibC.poll(pollFd, 1, 100) <= 0) {
                continue;
            }
            if (rxGro) {
                for (int i = 0; i < BATCH; i++) {
                    rx.msg(i).set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CMSG_SPACE); // the kernel overwrote it
                }
            }
            int n = LibC.recvmmsg(fd, rx.msgs, BATCH, MSG_DONTWAIT);
            if (n > 0) {
                dev.strait.gateway.esp.ReceiveClock.tick();
            }
            if (n <= 0) {
                int err = LibC.errno();
                if (!closed && n < 0 && err != LibC.EAGAIN && err != LibC.EINTR) {
                    LOG.warn("UDP {} receive failed: {}", local, LibC.strerror(err));
                }
                continue;
            }
            for (int i = 0; i < n; i++) {
                MemorySegment m = rx.msg(i);
                int len = m.get(ValueLayout.JAVA_INT, MMSG_LEN);
                m.set(ValueLayout.JAVA_INT, MSG_NAMELEN, SOCKADDR_MAX); // the kernel overwrote it
                // UDP GRO: several datagrams of one flow arrive as one, cut at the size the cmsg gives.
                int segSize = rxGro ? groSegmentSize(m) : 0;
                if (segSize <= 0) {
                    segSize = len;
                } else if (segSize < len) {
                    coalescedReceives.increment();
                }
                MemorySegment b = rx.buffer(i);
                for (int at = 0; at < len; at += segSize) {
                    int dlen = Math.min(segSize, len - at);
                    MemorySegment.copy(b, ValueLayout.JAVA_BYTE, at, buf, 0, dlen);
                    try {
                        classify(buf, dlen, i);
                    } catch (RuntimeException e) {
                        // A bug triggered by one datagram must not stop the receiver.
                        malformed.increment();
                        LOG.warn("datagram ({} bytes) not handled: {}", dlen, e.toString());
                    }
                }
            }
            try {
                esp.onBatchEnd();
            } catch (RuntimeException e) {
                LOG.warn("end of receive batch not handled: {}", e.toString());
            }
        }
    }

    /** The UDP_GRO segment size from a received message's control data, or 0 when it was not coalesced. */
    private static int groSegmentSize(MemorySegment m) {
        long clen = m.get(ValueLayout.JAVA_LONG, MSG_CONTROLLEN);
        if (clen < 16 + 4) {
            return 0;
        }
        MemorySegment c = m.get(ValueLayout.ADDRESS, MSG_CONTROL).reinterpret(CMSG_SPACE);
        if (c.get(ValueLayout.JAVA_INT, 8) != SOL_UDP || c.get(ValueLayout.JAVA_INT, 12) != UDP_GRO) {
            return 0;
        }
        return c.get(ValueLayout.JAVA_INT, 16);
    }

    /** The receive slot of the datagram being classified (receiver thread only), for {@link #currentSource}. */
    private int currentSlot;

    /** The sender of the datagram being handed to the EspSink; call only from within onEsp. */
    InetSocketAddress currentSource() {
        return decode(rx.names.asSlice((long) currentSlot * SOCKADDR_MAX, SOCKADDR_MAX));
    }

    private void classify(byte[] buf, int len, int slot) {
        currentSlot = slot;
        if (len == 1 && buf[0] == (byte) 0xFF) {
            keepalives.increment();
        } else if (len >= 4 && buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0) {
            ikePackets.increment();
            ike.onIkePacket(buf, 4, len - 4, decode(rx.names.asSlice((long) slot * SOCKADDR_MAX, SOCKADDR_MAX)));
        } else if (len < 8) {
            malformed.increment();
        } else {
            esp.onEsp(buf, len);
        }
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
            MemorySegment sa = a.allocate(SOCKADDR_MAX, 8);
            int alen = encode(to, sa);
            MemorySegment data = a.allocateFrom(ValueLayout.JAVA_BYTE, d);
            long n;
            if (gsoCapable) {
                // The encryptor may have set UDP_SEGMENT on the socket: a cmsg of 0 keeps this datagram whole.
                MemorySegment msg = a.allocate(MMSG_SIZE, 8);
                MemorySegment iov = a.allocate(IOVEC_SIZE, 8);
                MemorySegment control = a.allocate(CMSG_SPACE, 8);
                iov.set(ValueLayout.ADDRESS, 0, data);
                iov.set(ValueLayout.JAVA_LONG, 8, d.length);
                control.set(ValueLayout.JAVA_LONG, 0, 16 + 2);
                control.set(ValueLayout.JAVA_INT, 8, SOL_UDP);
                control.set(ValueLayout.JAVA_INT, 12, UDP_SEGMENT);
                msg.set(ValueLayout.ADDRESS, MSG_NAME, sa);
                msg.set(ValueLayout.JAVA_INT, MSG_NAMELEN, alen);
                msg.set(ValueLayout.ADDRESS, MSG_IOV, iov);
                msg.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1);
                msg.set(ValueLayout.ADDRESS, MSG_CONTROL, control);
                msg.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CMSG_SPACE);
                n = LibC.sendmmsg(fd, msg, 1, 0);
            } else {
                n = LibC.sendto(fd, data, d.length, 0, sa, alen);
            }
            if (n < 0) {
                throw new IOException("send to " + to + ": " + LibC.strerror(LibC.errno()));
            }
        }
    }

    /** Writes a sockaddr_in / sockaddr_in6 (IPv4 peers as v4-mapped on a dual-stack socket); returns its length. */
    private int encode(InetSocketAddress to, MemorySegment sa) {
        InetAddress addr = to.getAddress();
        if (addr == null) {
            throw new IllegalArgumentException("unresolved address " + to);
        }
        sa.asSlice(0, SOCKADDR_MAX).fill((byte) 0);
        short port = Short.reverseBytes((short) to.getPort());
        if (!v6) {
            if (!(addr instanceof Inet4Address)) {
                throw new IllegalArgumentException("IPv6 peer " + to + " on an IPv4 socket");
            }
            sa.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
            sa.set(ValueLayout.JAVA_SHORT, 2, port);
            MemorySegment.copy(addr.getAddress(), 0, sa, ValueLayout.JAVA_BYTE, 4, 4);
            return 16;
        }
        sa.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET6);
        sa.set(ValueLayout.JAVA_SHORT, 2, port);
        byte[] a16 = new byte[16];
        if (addr instanceof Inet4Address) {
            a16[10] = (byte) 0xFF;
            a16[11] = (byte) 0xFF;
            System.arraycopy(addr.getAddress(), 0, a16, 12, 4);
        } else {
            a16 = addr.getAddress();
            sa.set(ValueLayout.JAVA_INT, 24, ((Inet6Address) addr).getScopeId());
        }
        MemorySegment.copy(a16, 0, sa, ValueLayout.JAVA_BYTE, 8, 16);
        return SOCKADDR_MAX;
    }

    private static InetSocketAddress decode(MemorySegment sa) {
        int family = sa.get(ValueLayout.JAVA_SHORT, 0);
        int port = Short.reverseBytes(sa.get(ValueLayout.JAVA_SHORT, 2)) & 0xFFFF;
        try {
            if (family == AF_INET) {
                byte[] a = sa.asSlice(4, 4).toArray(ValueLayout.JAVA_BYTE);
                return new InetSocketAddress(InetAddress.getByAddress(a), port);
            }
            byte[] a = sa.asSlice(8, 16).toArray(ValueLayout.JAVA_BYTE);
            // getByAddress turns ::ffff:a.b.c.d into an Inet4Address, as the engine expects for IPv4 peers
            return new InetSocketAddress(InetAddress.getByAddress(a), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
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
    }
}
