package dev.strait.gateway.datapath.packet;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Internet checksum (RFC 1071) over heap arrays, eight bytes per step: the one's-complement sum of 16-bit words
 * equals the folded sum of 32-bit big-endian words, so the halves of each 64-bit load are added to a long.
 */
public final class Checksum {
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private Checksum() {
    }

    /** Unfolded one's-complement sum of b[off, off+len) (an odd last byte is the high half of a word). */
    public static long sum(byte[] b, int off, int len, long initial) {
        long s = initial;
        int i = off;
        int end = off + len;
        // Four independent accumulators: the adds of one 32-byte step do not wait for each other.
        long s1 = 0;
        long s2 = 0;
        long s3 = 0;
        for (; i + 32 <= end; i += 32) {
            long w0 = (long) LONG_BE.get(b, i);
            long w1 = (long) LONG_BE.get(b, i + 8);
            long w2 = (long) LONG_BE.get(b, i + 16);
            long w3 = (long) LONG_BE.get(b, i + 24);
            s += (w0 >>> 32) + (w0 & 0xffff_ffffL);
            s1 += (w1 >>> 32) + (w1 & 0xffff_ffffL);
            s2 += (w2 >>> 32) + (w2 & 0xffff_ffffL);
            s3 += (w3 >>> 32) + (w3 & 0xffff_ffffL);
        }
        s += s1 + s2 + s3;
        for (; i + 8 <= end; i += 8) {
            long w = (long) LONG_BE.get(b, i);
            s += (w >>> 32) + (w & 0xffff_ffffL);
        }
        for (; i + 2 <= end; i += 2) {
            s += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        }
        if (i < end) {
            s += (b[i] & 0xff) << 8;
        }
        return s;
    }

    /** Folds a sum to 16 bits and complements it: the value that goes into a header's checksum field. */
    public static int finish(long s) {
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) (~s & 0xffff);
    }

    /** The TCP/UDP pseudo-header sum for IPv4 or IPv6 addresses in the IP header at ip, and the L4 length. */
    static long pseudoHeader(byte[] p, int ip, int version, int protocol, int l4Length) {
        long s = version == 4 ? sum(p, ip + 12, 8, 0) : sum(p, ip + 8, 32, 0);
        return s + protocol + l4Length;
    }
}
