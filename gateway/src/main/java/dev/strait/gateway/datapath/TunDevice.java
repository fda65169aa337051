package dev.strait.gateway.datapath;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A Linux TUN interface (IFF_TUN | IFF_NO_PI: reads and writes are bare IP packets) opened through FFM. The fd is
 * non-blocking: {@link #awaitReadable} waits, {@link #read} drains. The device lives in the network namespace of
 * the thread that opened it and disappears when closed.
 */
public final class TunDevice implements AutoCloseable {
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;
    private static final int IFNAMSIZ = 16;

    private final String name;
    private final int fd;
    private final int ifIndex;
    private final MemorySegment pollFd;
    private volatile boolean closed;

    private TunDevice(String name, int fd, int ifIndex) {
        this.name = name;
        this.fd = fd;
        this.ifIndex = ifIndex;
        this.pollFd = Arena.ofAuto().allocate(8, 4);
        pollFd.set(ValueLayout.JAVA_INT, 0, fd);
        pollFd.set(ValueLayout.JAVA_SHORT, 4, LibC.POLLIN);
    }

    public static TunDevice open(String name) throws IOException {
        if (name == null || name.isEmpty() || name.length() >= IFNAMSIZ || !name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("invalid TUN name '" + name + "' (1-15 of A-Z a-z 0-9 _ . -)");
        }
        int fd = LibC.open("/dev/net/tun", LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw new IOException("cannot open /dev/net/tun: " + LibC.strerror(LibC.errno())
                    + " (needs CAP_NET_ADMIN and the tun module)");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = a.allocate(40);
            ifr.setString(0, name);
            ifr.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, (short) (IFF_TUN | IFF_NO_PI));
            if (LibC.ioctl(fd, TUNSETIFF, ifr) < 0) {
                int err = LibC.errno();
                LibC.close(fd);
                throw new IOException("TUNSETIFF " + name + " failed: " + LibC.strerror(err));
            }
        }
        int index = LibC.ifNameToIndex(name);
        if (index == 0) {
            int err = LibC.errno();
            LibC.close(fd);
            throw new IOException("TUN " + name + " has no interface index: " + LibC.strerror(err));
        }
        return new TunDevice(name, fd, index);
    }

    public String name() {
        return name;
    }

    public int ifIndex() {
        return ifIndex;
    }

    /** Waits up to timeoutMs for a packet; false on timeout, interruption or close. */
    public boolean awaitReadable(int timeoutMs) {
        if (closed) {
            return false;
        }
        int r = LibC.poll(pollFd, 1, timeoutMs);
        return r > 0 && !closed;
    }

    /** Reads one packet into buf[off..]; returns its length, 0 when none is queued, -1 when closed. */
    public int read(byte[] buf, int off, int len) throws IOException {
        if (closed) {
            return -1;
        }
        long n = LibC.read(fd, MemorySegment.ofArray(buf).asSlice(off, len), len);
        if (n < 0) {
            int err = LibC.errno();
            if (err == LibC.EAGAIN || err == LibC.EINTR) {
                return 0;
            }
            if (closed) {
                return -1;
            }
            throw new IOException("read " + name + ": " + LibC.strerror(err));
        }
        return (int) n;
    }

    /** Writes one IP packet; false when the kernel refused it (counted by the caller). */
    public boolean write(byte[] buf, int off, int len) {
        if (closed) {
            return false;
        }
        long n = LibC.write(fd, MemorySegment.ofArray(buf).asSlice(off, len), len);
        return n == len;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd);
        }
    }
}
