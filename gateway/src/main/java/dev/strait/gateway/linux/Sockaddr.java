package dev.strait.gateway.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * struct sockaddr_in / sockaddr_in6 for one socket family. A wildcard IPv4 bind (0.0.0.0) means a dual-stack IPv6
 * socket, as DatagramChannel.open() does, so IPv4 peers are then written v4-mapped.
 */
public final class Sockaddr {
    /** sizeof(struct sockaddr_in6), the larger of the two. */
    public static final int MAX = 28;

    private final boolean v6;

    private Sockaddr(boolean v6) {
        this.v6 = v6;
    }

    /** The family a socket bound to {@code bind} uses: IPv4 only for a specific IPv4 address. */
    public static Sockaddr forBind(InetSocketAddress bind) {
        return new Sockaddr(!(bind.getAddress() instanceof Inet4Address) || bind.getAddress().isAnyLocalAddress());
    }

    public boolean v6() {
        return v6;
    }

    public int family() {
        return v6 ? LibC.AF_INET6 : LibC.AF_INET;
    }

    /** The address encoded once into its own memory (a peer's, reused for every packet to it). */
    public MemorySegment encode(InetSocketAddress to) {
        MemorySegment sa = Arena.ofAuto().allocate(MAX, 8);
        return sa.asSlice(0, encode(to, sa));
    }

    /** Writes the address into sa (at least {@link #MAX} bytes); returns its length. */
    public int encode(InetSocketAddress to, MemorySegment sa) {
        InetAddress addr = to.getAddress();
        if (addr == null) {
            throw new IllegalArgumentException("unresolved address " + to);
        }
        sa.asSlice(0, MAX).fill((byte) 0);
        short port = Short.reverseBytes((short) to.getPort());
        if (!v6) {
            if (!(addr instanceof Inet4Address)) {
                throw new IllegalArgumentException("IPv6 peer " + to + " on an IPv4 socket");
            }
            sa.set(ValueLayout.JAVA_SHORT, 0, (short) LibC.AF_INET);
            sa.set(ValueLayout.JAVA_SHORT, 2, port);
            MemorySegment.copy(addr.getAddress(), 0, sa, ValueLayout.JAVA_BYTE, 4, 4);
            return 16;
        }
        sa.set(ValueLayout.JAVA_SHORT, 0, (short) LibC.AF_INET6);
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
        return MAX;
    }

    /** Reads a sockaddr_in or sockaddr_in6; a v4-mapped IPv6 address comes back as an Inet4Address. */
    public static InetSocketAddress decode(MemorySegment sa) {
        int family = sa.get(ValueLayout.JAVA_SHORT, 0);
        int port = Short.reverseBytes(sa.get(ValueLayout.JAVA_SHORT, 2)) & 0xFFFF;
        try {
            if (family == LibC.AF_INET) {
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
}
