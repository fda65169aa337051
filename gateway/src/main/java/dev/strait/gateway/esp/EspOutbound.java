package dev.strait.gateway.esp;

import dev.strait.gateway.wire.BigEndian;
import java.security.GeneralSecurityException;

/**
 * The sending half of an SA (RFC 4303 tunnel mode): assigns sequence numbers, pads, encrypts. Thread-confined:
 * one encrypting thread per SA (its cipher and sequence counter are not shared).
 */
public final class EspOutbound {
    /** Last usable sequence number without ESN; with ESN the 64-bit space is capped at Long.MAX_VALUE. */
    static final long LIMIT_32 = 0xFFFF_FFFFL;
    static final long LIMIT_64 = Long.MAX_VALUE;

    private final int spi;
    private final boolean esn;
    private final EspCipher cipher;
    private final EspCounters counters;
    private final Runnable onRekeyNeeded;
    private final long limit;
    private final long rekeyAt;
    private final byte[] trailer = new byte[32];
    private long seq;
    private boolean rekeyRequested;

    public EspOutbound(int spi, boolean esn, EspCipher cipher, EspCounters counters, Runnable onRekeyNeeded) {
        this(spi, esn, cipher, counters, onRekeyNeeded, 0);
    }

    /** @param lastSeq the sequence number considered already used (0 for a new SA) */
    EspOutbound(int spi, boolean esn, EspCipher cipher, EspCounters counters, Runnable onRekeyNeeded, long lastSeq) {
        this.spi = spi;
        this.esn = esn;
        this.cipher = cipher;
        this.counters = counters;
        this.onRekeyNeeded = onRekeyNeeded;
        this.limit = esn ? LIMIT_64 : LIMIT_32;
        // Ask for a rekey with 1/16 of the space left: at 1 M packets/s that is still over four minutes.
        this.rekeyAt = limit - (limit >>> 4);
        this.seq = lastSeq;
        for (int i = 0; i < trailer.length; i++) {
            trailer[i] = (byte) (i + 1);
        }
    }

    public int spi() {
        return spi;
    }

    public long lastSequence() {
        return seq;
    }

    /** Worst-case bytes added around an inner packet: ESP header, IV, padding, trailer, ICV. */
    public int maxOverhead() {
        return 8 + cipher.ivLength() + cipher.align() - 1 + 2 + cipher.icvLength();
    }

    public EspCipher cipher() {
        return cipher;
    }

    /**
     * Builds the ESP packet for in[inOff, inOff+inLen) at out[outOff..].
     * @param nextHeader 4 (IPv4), 41 (IPv6) or 59 (dummy)
     * @return the ESP packet length, or a negative code ({@link DropReason#ofCode}) when the packet was dropped
     */
    public int seal(byte[] in, int inOff, int inLen, int nextHeader, byte[] out, int outOff) {
        if (outOff + inLen + maxOverhead() > out.length) {
            counters.drop(DropReason.MTU);
            return DropReason.MTU.code();
        }
        if (seq >= limit) {
            // Never wrap: a repeated sequence number would repeat the AEAD nonce.
            counters.drop(DropReason.SEQ_EXHAUSTED);
            return DropReason.SEQ_EXHAUSTED.code();
        }
        long s = ++seq;
        if (s >= rekeyAt && !rekeyRequested) {
            rekeyRequested = true;
            if (onRekeyNeeded != null) {
                onRekeyNeeded.run();
            }
        }
        int align = cipher.align();
        int padLen = (align - ((inLen + 2) % align)) % align;
        // trailer already holds 1,2,3,... (RFC 4303 section 2.4); put pad length and next header after padding.
        byte savedA = trailer[padLen];
        byte savedB = trailer[padLen + 1];
        trailer[padLen] = (byte) padLen;
        trailer[padLen + 1] = (byte) nextHeader;
        BigEndian.putInt(out, outOff, spi);
        BigEndian.putInt(out, outOff + 4, (int) s);
        try {
            int len = cipher.seal(s, esn, out, outOff, in, inOff, inLen, trailer, padLen + 2);
            counters.outbound(inLen);
            return len;
        } catch (GeneralSecurityException e) {
            counters.drop(DropReason.IO);
            return DropReason.IO.code();
        } finally {
            trailer[padLen] = savedA;
            trailer[padLen + 1] = savedB;
        }
    }
}
