package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.message.MalformedMessageException;
import java.io.ByteArrayOutputStream;
import java.time.Duration;

/**
 * Reassembles one IKE message from SKF fragments (RFC 7383 section 2.6), already decrypted and verified one by one.
 * One instance per direction (requests / responses) of an IKE SA; not thread-safe (the SA's executor owns it).
 * Limits keep a peer from making us hold much memory: fragment count, total size and age.
 */
final class FragmentAssembler {
    static final int MAX_FRAGMENTS = 64;
    static final int MAX_BYTES = 64 * 1024;
    static final Duration MAX_AGE = Duration.ofSeconds(30);

    /** The reassembled inner payload chain and the type of its first payload. */
    record Whole(int messageId, int firstPayload, byte[] chain) {
    }

    private final long maxAgeNanos;
    private int messageId = -1;
    private int total;
    private byte[][] parts;
    private int received;
    private int bytes;
    private int firstPayload;
    private long startedNanos;

    private final java.util.function.LongSupplier nanoClock;

    FragmentAssembler() {
        this(MAX_AGE, System::nanoTime);
    }

    FragmentAssembler(Duration maxAge, java.util.function.LongSupplier nanoClock) {
        this.maxAgeNanos = maxAge.toNanos();
        this.nanoClock = nanoClock;
    }

    /**
     * Adds one fragment; returns the whole message once the last one is in, else null. Duplicates are ignored.
     *
     * @throws MalformedMessageException when the fragment breaks a limit or contradicts the ones before it
     */
    Whole add(int messageId, int number, int totalFragments, int firstPayload, byte[] plain) throws MalformedMessageException {
        if (totalFragments < 1 || totalFragments > MAX_FRAGMENTS) {
            throw new MalformedMessageException("SKF total " + totalFragments + " exceeds the limit of " + MAX_FRAGMENTS);
        }
        if (number < 1 || number > totalFragments) {
            throw new MalformedMessageException("SKF fragment " + number + " of " + totalFragments);
        }
        long now = nanoClock.getAsLong();
        boolean expired = parts != null && now - startedNanos > maxAgeNanos;
        if (parts == null || messageId != this.messageId || expired || totalFragments > total) {
            // A new message, a stale one, or the sender re-fragmented with more pieces (section 2.6): start over.
            reset(messageId, totalFragments, now);
        } else if (totalFragments < total) {
            return null; // fragments of an older fragmentation of the same message
        }
        if (parts[number - 1] != null) {
            return null;
        }
        if (bytes + plain.length > MAX_BYTES) {
            reset(-1, 0, now);
            parts = null;
            throw new MalformedMessageException("reassembled message would exceed " + MAX_BYTES + " bytes");
        }
        if (number == 1) {
            this.firstPayload = firstPayload;
        }
        parts[number - 1] = plain;
        received++;
        bytes += plain.length;
        if (received < total) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes);
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        Whole whole = new Whole(this.messageId, this.firstPayload, out.toByteArray());
        parts = null;
        this.messageId = -1;
        return whole;
    }

    /** Fragments held for an incomplete message (0 when idle). */
    int pending() {
        return parts == null ? 0 : received;
    }

    private void reset(int id, int totalFragments, long now) {
        messageId = id;
        total = totalFragments;
        parts = totalFragments == 0 ? null : new byte[totalFragments][];
        received = 0;
        bytes = 0;
        firstPayload = 0;
        startedNanos = now;
    }
}
