package dev.strait.gateway.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc calls and Linux constants (x86_64/aarch64 values, LP64 struct layouts) the datapath needs, through FFM
 * downcalls that capture errno. Every Linux number the gateway uses is defined here or in {@link TunDevice} and
 * {@link RtNetlink}, once.
 */
public final class LibC {
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EAGAIN = 11;
    public static final int EINVAL = 22;
    public static final short POLLIN = 1;
    public static final short POLLOUT = 4;

    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int AF_NETLINK = 16;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_SNDBUFFORCE = 32;
    public static final int SO_RCVBUFFORCE = 33;
    public static final int IPPROTO_IPV6 = 41;
    public static final int IPV6_V6ONLY = 26;
    public static final int MSG_DONTWAIT = 0x40;
    /** UDP GSO (4.18+) and GRO (5.0+): socket options and the cmsg types at level SOL_UDP. */
    public static final int SOL_UDP = 17;
    public static final int UDP_SEGMENT = 103;
    public static final int UDP_GRO = 104;
    /** Datagrams one UDP GSO send may carry (UDP_MAX_SEGMENTS; 64 before Linux 6.x, which raised it). */
    public static final int UDP_MAX_SEGMENTS = 64;

    /** struct msghdr / mmsghdr / iovec / cmsghdr on LP64 Linux. */
    public static final int MSG_NAME = 0;
    public static final int MSG_NAMELEN = 8;
    public static final int MSG_IOV = 16;
    public static final int MSG_IOVLEN = 24;
    public static final int MSG_CONTROL = 32;
    public static final int MSG_CONTROLLEN = 40;
    public static final int MMSG_LEN = 56;
    public static final int MMSG_SIZE = 64;
    public static final int IOVEC_SIZE = 16;
    public static final int CMSG_HDR = 16;
    /** CMSG_SPACE(4) on LP64: 16-byte header + data rounded to 8. */
    public static final int CMSG_SPACE_INT = 24;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout_path("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;

    private static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(INT, PTR, INT), CAPTURE);
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle IOCTL = handle("ioctl", FunctionDescriptor.of(INT, INT, LONG, PTR), CAPTURE);
    // Heap segments with critical(true): no copy of the packet, and the call never blocks (fd is non-blocking).
    private static final MethodHandle READ = handle("read", FunctionDescriptor.of(LONG, INT, PTR, LONG), CAPTURE,
            Linker.Option.critical(true));
    private static final MethodHandle WRITE = handle("write", FunctionDescriptor.of(LONG, INT, PTR, LONG), CAPTURE,
            Linker.Option.critical(true));
    private static final MethodHandle POLL = handle("poll", FunctionDescriptor.of(INT, PTR, LONG, INT), CAPTURE);
    private static final MethodHandle SOCKET = handle("socket", FunctionDescriptor.of(INT, INT, INT, INT), CAPTURE);
    private static final MethodHandle SENDTO = handle("sendto",
            FunctionDescriptor.of(LONG, INT, PTR, LONG, INT, PTR, INT), CAPTURE);
    // The encryptor's ESP datagrams straight from the heap array they were sealed into (always MSG_DONTWAIT).
    private static final MethodHandle SENDTO_HEAP = handle("sendto",
            FunctionDescriptor.of(LONG, INT, PTR, LONG, INT, PTR, INT), CAPTURE, Linker.Option.critical(true));
    private static final MethodHandle RECV = handle("recv", FunctionDescriptor.of(LONG, INT, PTR, LONG, INT), CAPTURE);
    private static final MethodHandle BIND = handle("bind", FunctionDescriptor.of(INT, INT, PTR, INT), CAPTURE);
    private static final MethodHandle GETSOCKNAME = handle("getsockname", FunctionDescriptor.of(INT, INT, PTR, PTR),
            CAPTURE);
    private static final MethodHandle SETSOCKOPT = handle("setsockopt",
            FunctionDescriptor.of(INT, INT, INT, INT, PTR, INT), CAPTURE);
    private static final MethodHandle RECVMMSG = handle("recvmmsg",
            FunctionDescriptor.of(INT, INT, PTR, INT, INT, PTR), CAPTURE);
    private static final MethodHandle SENDMMSG = handle("sendmmsg", FunctionDescriptor.of(INT, INT, PTR, INT, INT),
            CAPTURE);
    private static final MethodHandle IF_NAMETOINDEX = handle("if_nametoindex", FunctionDescriptor.of(INT, PTR),
            CAPTURE);
    private static final MethodHandle STRERROR = handle("strerror", FunctionDescriptor.of(PTR, INT));

    private LibC() {
    }

    private static java.lang.foreign.MemoryLayout.PathElement MemoryLayout_path(String name) {
        return java.lang.foreign.MemoryLayout.PathElement.groupElement(name);
    }

    private static MethodHandle handle(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment sym = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsupportedOperationException("libc lacks " + name));
        return LINKER.downcallHandle(sym, fd, options);
    }

    /** Per-thread errno capture buffer: the TUN reader and the UDP receiver run on different threads. */
    private static final ThreadLocal<MemorySegment> STATE = ThreadLocal.withInitial(
            () -> Arena.global().allocate(CALL_STATE));

    public static int errno() {
        return (int) ERRNO.get(STATE.get(), 0L);
    }

    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    public static int open(String path, int flags) {
        try (Arena a = Arena.ofConfined()) {
            return (int) OPEN.invokeExact(STATE.get(), a.allocateFrom(path), flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int ioctl(int fd, long request, MemorySegment arg) {
        try {
            return (int) IOCTL.invokeExact(STATE.get(), fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long read(int fd, MemorySegment buf, long len) {
        try {
            return (long) READ.invokeExact(STATE.get(), fd, buf, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long write(int fd, MemorySegment buf, long len) {
        try {
            return (long) WRITE.invokeExact(STATE.get(), fd, buf, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int poll(MemorySegment fds, long n, int timeoutMs) {
        try {
            return (int) POLL.invokeExact(STATE.get(), fds, n, timeoutMs);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int socket(int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(STATE.get(), domain, type, protocol);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long sendto(int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen) {
        try {
            return (long) SENDTO.invokeExact(STATE.get(), fd, buf, len, flags, addr, addrLen);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sendto from a heap segment without copying it; flags must include MSG_DONTWAIT (no blocking in critical). */
    public static long sendtoHeap(int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen) {
        try {
            return (long) SENDTO_HEAP.invokeExact(STATE.get(), fd, buf, len, flags, addr, addrLen);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long recv(int fd, MemorySegment buf, long len, int flags) {
        try {
            return (long) RECV.invokeExact(STATE.get(), fd, buf, len, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int bind(int fd, MemorySegment addr, int addrLen) {
        try {
            return (int) BIND.invokeExact(STATE.get(), fd, addr, addrLen);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int getsockname(int fd, MemorySegment addr, MemorySegment addrLen) {
        try {
            return (int) GETSOCKNAME.invokeExact(STATE.get(), fd, addr, addrLen);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int setsockopt(int fd, int level, int name, int value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocateFrom(INT, value);
            return (int) SETSOCKOPT.invokeExact(STATE.get(), fd, level, name, v, 4);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int recvmmsg(int fd, MemorySegment msgs, int vlen, int flags) {
        try {
            return (int) RECVMMSG.invokeExact(STATE.get(), fd, msgs, vlen, flags, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int sendmmsg(int fd, MemorySegment msgs, int vlen, int flags) {
        try {
            return (int) SENDMMSG.invokeExact(STATE.get(), fd, msgs, vlen, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int ifNameToIndex(String name) {
        try (Arena a = Arena.ofConfined()) {
            return (int) IF_NAMETOINDEX.invokeExact(STATE.get(), a.allocateFrom(name));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
