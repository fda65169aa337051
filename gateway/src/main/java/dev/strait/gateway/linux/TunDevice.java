package dev.strait.gateway.linux;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A Linux TUN interface (IFF_TUN | IFF_NO_PI: reads and writes are bare IP packets) opened through FFM. The fd is
 * non-blocking: {@link #awaitReadable} waits, {@link #read} drains. The device lives in the network namespace of
 * the thread that opened it and disappears when closed.
 *
 * <p>With offloads ({@link #open(String, boolean)} with true), the TUN also has IFF_VNET_HDR and TUNSETOFFLOAD: every read
 * starts with a virtio_net_hdr (cut by datapath.packet.GsoSegmenter) and may carry a TCP/UDP super-packet of up to 64 KiB - one
 * syscall instead of dozens - and every write needs such a header in front ({@link #write} puts a zeroed one in
 * the {@value #HEADROOM} bytes before the packet).
 */
public final class TunDevice implements AutoCloseable {
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;
    private static final short IFF_VNET_HDR = 0x4000;
    private static final long TUNSETOFFLOAD = 0x400454d0L;
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;
    /** struct virtio_net_hdr (without num_buffers): flags, gso_type, hdr_len, gso_size, csum_start, csum_offset. */
    public static final int VNET_HDR_LEN = 10;
    public static final int VNET_F_NEEDS_CSUM = 1;
    public static final int VNET_GSO_NONE = 0;
    public static final int VNET_GSO_TCPV4 = 1;
    public static final int VNET_GSO_TCPV6 = 4;
    public static final int VNET_GSO_UDP_L4 = 5;
    public static final int VNET_GSO_ECN = 0x80;
    /** Bytes callers of {@link #write} keep free before the packet for the virtio_net_hdr. */
    public static final int HEADROOM = VNET_HDR_LEN;
    private static final int IFNAMSIZ = 16;

    private final String name;
    private final int fd;
    private final int ifIndex;
    private final int offloads;
    private final boolean vnetHdr;
    private final MemorySegment pollFd;
    private volatile boolean closed;

    private TunDevice(String name, int fd, int ifIndex, boolean vnetHdr, int offloads) {
        this.name = name;
        this.fd = fd;
        this.ifIndex = ifIndex;
        this.vnetHdr = vnetHdr;
        this.offloads = offloads;
        this.pollFd = Arena.ofAuto().allocate(8, 4);
        pollFd.set(ValueLayout.JAVA_INT, 0, fd);
        pollFd.set(ValueLayout.JAVA_SHORT, 4, LibC.POLLIN);
    }

    /**
     * @param offload ask for IFF_VNET_HDR and checksum/TSO/USO offloads; the kernel's refusal of USO (before 6.2)
     *                or of all offloads falls back silently ({@link #offloads} tells what was granted)
     */
    public static TunDevice open(String name, boolean offload) throws IOException {
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
            ifr.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, (short) (IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0)));
            if (LibC.ioctl(fd, TUNSETIFF, ifr) < 0) {
                int err = LibC.errno();
                LibC.close(fd);
                throw new IOException("TUNSETIFF " + name + " failed: " + LibC.strerror(err));
            }
        }
        int granted = 0;
        if (offload) {
            int all = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6;
            for (int want : new int[] {all, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, TUN_F_CSUM}) {
                // TUNSETOFFLOAD takes the flags by value; EINVAL means an unknown flag (e.g. USO before 6.2).
                if (LibC.ioctl(fd, TUNSETOFFLOAD, MemorySegment.ofAddress(want)) == 0) {
                    granted = want;
                    break;
                }
            }
        }
        int index = LibC.ifNameToIndex(name);
        if (index == 0) {
            int err = LibC.errno();
            LibC.close(fd);
            throw new IOException("TUN " + name + " has no interface index: " + LibC.strerror(err));
        }
        return new TunDevice(name, fd, index, offload, granted);
    }

    public String name() {
        return name;
    }

    public int ifIndex() {
        return ifIndex;
    }

    /** Whether reads start with a virtio_net_hdr and writes need one. */
    public boolean vnetHdr() {
        return vnetHdr;
    }

    /** The TUN_F_* offloads the kernel accepted (0 without offloads). */
    public int offloads() {
        return offloads;
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

    /**
     * Writes one IP packet at buf[off, off+len); with a virtio_net_hdr, buf[off-HEADROOM, off) is overwritten with
     * a zeroed one (no offload), so callers keep that room. False when the kernel refused it.
     */
    public boolean write(byte[] buf, int off, int len) {
        if (closed) {
            return false;
        }
        if (vnetHdr) {
            if (off < HEADROOM) {
                throw new IllegalArgumentException("no room for the virtio_net_hdr before offset " + off);
            }
            java.util.Arrays.fill(buf, off - HEADROOM, off, (byte) 0);
            off -= HEADROOM;
            len += HEADROOM;
        }
        long n = LibC.write(fd, MemorySegment.ofArray(buf).asSlice(off, len), len);
        return n == len;
    }

    /** Writes buf[off, off+len) that already starts with a virtio_net_hdr (GRO super-packets). */
    public boolean writeWithHeader(byte[] buf, int off, int len) {
        if (closed || !vnetHdr) {
            return false;
        }
        return LibC.write(fd, MemorySegment.ofArray(buf).asSlice(off, len), len) == len;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd);
        }
    }
}
