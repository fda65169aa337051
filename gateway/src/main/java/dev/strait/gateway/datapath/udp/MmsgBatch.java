package dev.strait.gateway.datapath.udp;

import static dev.strait.gateway.linux.LibC.CMSG_SPACE_INT;
import static dev.strait.gateway.linux.LibC.IOVEC_SIZE;
import static dev.strait.gateway.linux.LibC.MMSG_SIZE;
import static dev.strait.gateway.linux.LibC.MSG_IOV;
import static dev.strait.gateway.linux.LibC.MSG_IOVLEN;
import static dev.strait.gateway.linux.LibC.MSG_NAME;
import static dev.strait.gateway.linux.LibC.MSG_NAMELEN;

import dev.strait.gateway.linux.Sockaddr;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A native mmsghdr array for recvmmsg/sendmmsg with one iovec, one buffer, one sockaddr and one cmsg per slot. */
final class MmsgBatch {
    static final int SLOTS = 32;
    static final int SLOT_BYTES = 65536;

    final MemorySegment msgs;
    final MemorySegment names;
    final MemorySegment buffers;
    final MemorySegment controls;

    MmsgBatch(Arena arena) {
        msgs = arena.allocate((long) MMSG_SIZE * SLOTS, 8);
        names = arena.allocate((long) Sockaddr.MAX * SLOTS, 8);
        buffers = arena.allocate((long) SLOT_BYTES * SLOTS, 64);
        controls = arena.allocate((long) CMSG_SPACE_INT * SLOTS, 8);
        MemorySegment iovs = arena.allocate((long) IOVEC_SIZE * SLOTS, 8);
        for (int i = 0; i < SLOTS; i++) {
            MemorySegment iov = iovs.asSlice((long) i * IOVEC_SIZE, IOVEC_SIZE);
            iov.set(ValueLayout.ADDRESS, 0, buffers.asSlice((long) i * SLOT_BYTES, SLOT_BYTES));
            iov.set(ValueLayout.JAVA_LONG, 8, SLOT_BYTES);
            MemorySegment m = msg(i);
            m.set(ValueLayout.ADDRESS, MSG_NAME, name(i));
            m.set(ValueLayout.JAVA_INT, MSG_NAMELEN, Sockaddr.MAX);
            m.set(ValueLayout.ADDRESS, MSG_IOV, iov);
            m.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1);
        }
    }

    MemorySegment msg(int i) {
        return msgs.asSlice((long) i * MMSG_SIZE, MMSG_SIZE);
    }

    MemorySegment name(int i) {
        return names.asSlice((long) i * Sockaddr.MAX, Sockaddr.MAX);
    }

    MemorySegment buffer(int i) {
        return buffers.asSlice((long) i * SLOT_BYTES, SLOT_BYTES);
    }

    MemorySegment control(int i) {
        return controls.asSlice((long) i * CMSG_SPACE_INT, CMSG_SPACE_INT);
    }

    /** Sets the length of slot i's single iovec (send side). */
    void setLength(int i, int len) {
        msg(i).get(ValueLayout.ADDRESS, MSG_IOV).reinterpret(IOVEC_SIZE).set(ValueLayout.JAVA_LONG, 8, len);
    }
}
