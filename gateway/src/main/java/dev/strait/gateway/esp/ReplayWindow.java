package dev.strait.gateway.esp;

/**
 * Anti-replay window over 64-bit sequence numbers (RFC 4303 section 3.4.3) kept as a ring of 64-bit blocks
 * (RFC 6479), so sliding costs one block clear per 64 sequence numbers instead of a shift. With 32 blocks the
 * window accepts the newest {@value #SIZE} sequence numbers. Not thread-safe: one receiving thread per SA.
 */
public final class ReplayWindow {
    private static final int BLOCKS = 32;
    private static final int BITS = BLOCKS * 64;
    /** Usable window: the block holding the top may be partly ahead of it. */
    public static final int SIZE = BITS - 64;

    private final long[] bitmap = new long[BLOCKS];
    /** Highest authenticated sequence number, 0 when none has been received. */
    private long top;

    public long top() {
        return top;
    }

    /** Cheap pre-check before decryption: true when seq is new or inside the window and not yet seen. */
    public boolean check(long seq) {
        if (seq == 0) {
            return false;
        }
        if (Long.compareUnsigned(seq, top) > 0) {
            return true;
        }
        if (Long.compareUnsigned(top - seq, SIZE) >= 0) {
            return false;
        }
        return (bitmap[blockOf(seq)] & (1L << (seq & 63))) == 0;
    }

    /** Marks seq as received after it authenticated; returns false when it turned out to be a replay. */
    public boolean update(long seq) {
        if (!check(seq)) {
            return false;
        }
        if (Long.compareUnsigned(seq, top) > 0) {
            long newBlock = seq >>> 6;
            long curBlock = top >>> 6;
            long diff = Math.min(newBlock - curBlock, BLOCKS);
            for (long i = 1; i <= diff; i++) {
                bitmap[(int) ((curBlock + i) & (BLOCKS - 1))] = 0;
            }
            top = seq;
        }
        bitmap[blockOf(seq)] |= 1L << (seq & 63);
        return true;
    }

    /** Starts the window at a given top (as if everything up to it had arrived): tests and SA migration. */
    void resetTop(long newTop) {
        java.util.Arrays.fill(bitmap, -1L);
        top = newTop;
        // Bits above the top in its block mean "not yet received".
        long mask = (newTop & 63) == 63 ? -1L : (1L << ((newTop & 63) + 1)) - 1;
        bitmap[blockOf(newTop)] = mask;
    }

    private static int blockOf(long seq) {
        return (int) ((seq >>> 6) & (BLOCKS - 1));
    }
}
