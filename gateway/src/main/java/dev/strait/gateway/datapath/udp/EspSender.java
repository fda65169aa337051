package dev.strait.gateway.datapath.udp;

import dev.strait.gateway.linux.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encrypting thread's send side: it seals ESP datagrams back to back into {@link #buffer()} and a run of
 * equal-sized ones to one peer leaves with one sendto straight from the heap (no copy into native memory) while the
 * socket's UDP_SEGMENT option holds their size. Without UDP GSO each datagram goes to {@link SendSlots} instead.
 * Only one thread may use it: {@link #reserve}, seal, {@link #commit}; {@link #flush} after a batch.
 */
public final class EspSender {
    private static final Logger LOG = LoggerFactory.getLogger(EspSender.class);
    /** UDP GSO limits: at most UDP_MAX_SEGMENTS datagrams and one IP datagram's payload. */
    private static final int GSO_MAX_BYTES = 65535 - 40 - 8;

    private final int fd;
    private final InetSocketAddress local;
    private final SendSlots slots;
    private final MemorySegment pollOut;
    /** Whether sends use UDP GSO; cleared for good when the kernel refuses it once. */
    private volatile boolean gso;
    /** The socket's UDP_SEGMENT value now (changed only here; other threads' sends override it with a cmsg). */
    private int socketGso;
    /** With GSO, the run sealed in place; without it, a one-datagram staging area for {@link SendSlots}. */
    private final byte[] run = new byte[GSO_MAX_BYTES + 65536 + 1024];
    private int runBytes;
    private int runCount;
    private int runSegSize;
    private boolean runClosed;
    private MemorySegment runTo;
    private MemorySegment reservedTo;
    private int reservedAt = -1;
    private int pendingFailed;

    EspSender(int fd, InetSocketAddress local, boolean gso, Arena arena) {
        this.fd = fd;
        this.local = local;
        this.gso = gso;
        this.slots = new SendSlots(fd, arena);
        this.pollOut = arena.allocate(8, 4);
        pollOut.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, fd);
        pollOut.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 4, LibC.POLLOUT);
    }

    /** Whether sends use UDP GSO (false when the kernel lacks it, it was disabled, or it failed once). */
    public boolean gso() {
        return gso;
    }

    /**
     * Room for the next ESP datagram to {@code to} (from {@link BatchUdpSocket#peerAddress}), at most maxLen bytes:
     * seal it into {@link #buffer()} at the returned offset, then {@link #commit}.
     */
    public int reserve(MemorySegment to, int maxLen) {
        if (reservedAt >= 0) {
            throw new IllegalStateException("an ESP reservation is open");
        }
        if (maxLen > 65536) {
            throw new IllegalArgumentException("ESP datagram of " + maxLen + " bytes");
        }
        reservedTo = to;
        if (!gso) {
            reservedAt = 0;
            return 0;
        }
        if (runCount > 0 && (to != runTo || runClosed || runCount >= LibC.UDP_MAX_SEGMENTS
                || runBytes + maxLen > GSO_MAX_BYTES)) {
            pendingFailed += sendRun();
        }
        reservedAt = runBytes;
        return reservedAt;
    }

    public byte[] buffer() {
        return run;
    }

    /**
     * The datagram of len bytes sealed at the reserved offset is complete (len 0: nothing was sealed, the packet
     * was dropped): it joins the run, or is queued.
     * @return datagrams the kernel refused in sends this reservation triggered (usually 0)
     */
    public int commit(int len) {
        int at = reservedAt;
        if (at < 0) {
            throw new IllegalStateException("nothing reserved");
        }
        reservedAt = -1;
        int failed = pendingFailed;
        pendingFailed = 0;
        if (len <= 0) {
            return failed;
        }
        if (!gso) {
            if (runCount > 0) {
                failed += sendRun(); // GSO was switched off after this run began
                System.arraycopy(run, at, run, 0, len);
                at = 0;
            }
            return failed + slots.queue(run, at, len, reservedTo);
        }
        if (runCount == 0) {
            startRun(len);
        } else if (len <= runSegSize) {
            runBytes += len;
            runCount++;
            runClosed = len < runSegSize; // only the last datagram of a GSO send may be shorter
        } else {
            // Longer than the run's size: it cannot join. Send the run, then start a new one with it.
            int before = runBytes;
            failed += sendRun();
            System.arraycopy(run, before, run, 0, len);
            startRun(len);
        }
        return failed;
    }

    private void startRun(int len) {
        runTo = reservedTo;
        runSegSize = len;
        runBytes = len;
        runCount = 1;
        runClosed = false;
    }

    /** Sends everything queued with as few syscalls as the kernel allows; returns the datagrams it refused. */
    public int flush() {
        int failed = sendRun() + pendingFailed;
        pendingFailed = 0;
        return failed + slots.flush();
    }

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
            if (LibC.setsockopt(fd, LibC.SOL_UDP, LibC.UDP_SEGMENT, want) < 0) {
                LOG.warn("UDP {}: UDP_SEGMENT {} refused ({}), sending datagrams one by one", local, want,
                        LibC.strerror(LibC.errno()));
                gso = false;
                return resendOneByOne(count, bytes);
            }
            socketGso = want;
        }
        MemorySegment data = MemorySegment.ofArray(run).asSlice(0, bytes);
        for (int attempt = 0; ; attempt++) {
            long n = LibC.sendtoHeap(fd, data, bytes, LibC.MSG_DONTWAIT, runTo, (int) runTo.byteSize());
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
            if (count > 1 && (err == LibC.EIO || err == LibC.EINVAL)) {
                // The egress path cannot segment (as wireguard-go sees on some devices): stop using GSO.
                gso = false;
                LOG.warn("UDP {}: UDP GSO refused ({}), sending datagrams one by one", local, LibC.strerror(err));
                return resendOneByOne(count, bytes);
            }
            return count;
        }
    }

    /** After GSO failed: the run's datagrams through the sendmmsg slots (socket option back to 0). */
    private int resendOneByOne(int count, int bytes) {
        if (socketGso != 0 && LibC.setsockopt(fd, LibC.SOL_UDP, LibC.UDP_SEGMENT, 0) == 0) {
            socketGso = 0;
        }
        int failed = 0;
        for (int at = 0, i = 0; i < count; i++) {
            int len = Math.min(runSegSize, bytes - at);
            failed += slots.queue(run, at, len, runTo);
            at += len;
        }
        return failed + slots.flush();
    }
}
