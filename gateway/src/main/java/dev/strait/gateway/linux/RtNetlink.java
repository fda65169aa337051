package dev.strait.gateway.linux;

import dev.strait.api.net.Cidr;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A NETLINK_ROUTE socket driven through FFM: link MTU/up and routes through the TUN device. Every request asks
 * for an ACK and a kernel error becomes an IOException naming the operation. Used from one thread at a time
 * (calls are synchronized). Lives in the network namespace of the thread that opened it.
 */
public final class RtNetlink implements AutoCloseable {
    private static final int NETLINK_ROUTE = 0;

    private static final short RTM_NEWLINK = 16;
    private static final short RTM_NEWROUTE = 24;
    private static final short RTM_DELROUTE = 25;
    private static final short NLMSG_ERROR = 2;
    private static final short NLM_F_REQUEST = 1;
    private static final short NLM_F_ACK = 4;
    private static final short NLM_F_REPLACE = 0x100;
    private static final short NLM_F_CREATE = 0x400;
    private static final int IFF_UP = 1;
    private static final short IFLA_MTU = 4;
    private static final short RTA_DST = 1;
    private static final short RTA_OIF = 4;
    private static final byte RT_TABLE_MAIN = (byte) 254;
    private static final byte RTPROT_STATIC = 4;
    private static final byte RT_SCOPE_LINK = (byte) 253;
    private static final byte RTN_UNICAST = 1;

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf = arena.allocate(8192, 8);
    private final MemorySegment kernelAddr = arena.allocate(12, 4);
    private int seq;

    private RtNetlink(int fd) {
        this.fd = fd;
        kernelAddr.set(ValueLayout.JAVA_SHORT, 0, (short) LibC.AF_NETLINK);
    }

    public static RtNetlink open() throws IOException {
        int fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0) {
            throw new IOException("cannot open rtnetlink socket: " + LibC.strerror(LibC.errno()));
        }
        return new RtNetlink(fd);
    }

    /** Sets the link's MTU and brings it up (RTM_NEWLINK on an existing index modifies it). */
    public synchronized void setLinkUp(int ifIndex, int mtu) throws IOException {
        ByteBuffer m = message(RTM_NEWLINK, 0);
        m.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(ifIndex).putInt(IFF_UP).putInt(IFF_UP);
        attr(m, IFLA_MTU, intBytes(mtu));
        transact(m, "set link " + ifIndex + " up with MTU " + mtu);
    }

    public synchronized void addRoute(int ifIndex, Cidr dst) throws IOException {
        route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, ifIndex, dst, "add route " + dst);
    }

    public synchronized void deleteRoute(int ifIndex, Cidr dst) throws IOException {
        route(RTM_DELROUTE, 0, ifIndex, dst, "delete route " + dst);
    }

    private void route(short type, int flags, int ifIndex, Cidr dst, String what) throws IOException {
        ByteBuffer m = message(type, flags);
        m.put((byte) (dst.isIpv6() ? LibC.AF_INET6 : LibC.AF_INET)).put((byte) dst.prefixLength()).put((byte) 0)
                .put((byte) 0).put(RT_TABLE_MAIN).put(RTPROT_STATIC).put(RT_SCOPE_LINK).put(RTN_UNICAST).putInt(0);
        attr(m, RTA_DST, dst.start());
        attr(m, RTA_OIF, intBytes(ifIndex));
        transact(m, what + " dev index " + ifIndex);
    }

    private ByteBuffer message(short type, int flags) {
        ByteBuffer m = ByteBuffer.allocate(512).order(ByteOrder.nativeOrder());
        m.putInt(0).putShort(type).putShort((short) (NLM_F_REQUEST | NLM_F_ACK | flags)).putInt(++seq).putInt(0);
        return m;
    }

    private static byte[] intBytes(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    private static void attr(ByteBuffer m, short type, byte[] value) {
        m.putShort((short) (4 + value.length)).putShort(type).put(value);
        while (m.position() % 4 != 0) {
            m.put((byte) 0);
        }
    }

    private void transact(ByteBuffer m, String what) throws IOException {
        int len = m.position();
        m.putInt(0, len);
        MemorySegment.copy(m.array(), 0, buf, ValueLayout.JAVA_BYTE, 0, len);
        if (LibC.sendto(fd, buf, len, 0, kernelAddr, 12) != len) {
            throw new IOException(what + ": netlink send failed: " + LibC.strerror(LibC.errno()));
        }
        int expectSeq = seq;
        while (true) {
            long n = LibC.recv(fd, buf, buf.byteSize(), 0);
            if (n < 0) {
                int err = LibC.errno();
                if (err == LibC.EINTR) {
                    continue;
                }
                throw new IOException(what + ": netlink receive failed: " + LibC.strerror(err));
            }
            ByteBuffer r = buf.asSlice(0, n).asByteBuffer().order(ByteOrder.nativeOrder());
            while (r.remaining() >= 16) {
                int start = r.position();
                int msgLen = r.getInt(start);
                short type = r.getShort(start + 4);
                int msgSeq = r.getInt(start + 8);
                if (msgLen < 16 || start + msgLen > r.limit()) {
                    throw new IOException(what + ": malformed netlink reply");
                }
                if (type == NLMSG_ERROR && msgSeq == expectSeq) {
                    int error = r.getInt(start + 16);
                    if (error == 0) {
                        return;
                    }
                    throw new IOException(what + " failed: " + LibC.strerror(-error));
                }
                r.position(start + ((msgLen + 3) & ~3));
            }
        }
    }

    @Override
    public synchronized void close() {
        LibC.close(fd);
        arena.close();
    }
}
