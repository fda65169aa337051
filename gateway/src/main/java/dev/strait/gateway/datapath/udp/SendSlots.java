package dev.strait.gateway.datapath.udp;

import static dev.strait.gateway.linux.LibC.MMSG_SIZE;
import static dev.strait.gateway.linux.LibC.MSG_NAME;
import static dev.strait.gateway.linux.LibC.MSG_NAMELEN;

import dev.strait.gateway.linux.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ESP datagrams copied into native slots and sent with one sendmmsg per batch: the path without UDP GSO (the kernel
 * lacks it, it was switched off, or it failed once). Only the encrypting thread uses it.
 */
final class SendSlots {
    private final int fd;
    private final MmsgBatch tx;
    private int queued;

    SendSlots(int fd, Arena arena) {
        this.fd = fd;
        this.tx = new MmsgBatch(arena);
    }

    /** Queues pkt[off, off+len) for {@code to}; sends the batch first when it is full. Returns datagrams refused. */
    int queue(byte[] pkt, int off, int len, MemorySegment to) {
        int failed = queued == MmsgBatch.SLOTS ? flush() : 0;
        int i = queued;
        MemorySegment.copy(pkt, off, tx.buffer(i), ValueLayout.JAVA_BYTE, 0, len);
        MemorySegment m = tx.msg(i);
        m.set(ValueLayout.ADDRESS, MSG_NAME, to);
        m.set(ValueLayout.JAVA_INT, MSG_NAMELEN, (int) to.byteSize());
        tx.setLength(i, len);
        queued = i + 1;
        return failed;
    }

    /** Sends everything queued with as few syscalls as the kernel allows; returns the datagrams it refused. */
    int flush() {
        int sent = 0;
        int failed = 0;
        while (sent < queued) {
            int n = LibC.sendmmsg(fd, tx.msgs.asSlice((long) sent * MMSG_SIZE), queued - sent, 0);
            if (n > 0) {
                sent += n;
            } else if (n < 0 && LibC.errno() == LibC.EINTR) {
                continue;
            } else {
                // The first datagram was refused (e.g. unreachable peer): count it and try the rest.
                failed++;
                sent++;
            }
        }
        queued = 0;
        return failed;
    }
}
