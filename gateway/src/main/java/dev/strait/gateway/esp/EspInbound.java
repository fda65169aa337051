package dev.strait.gateway.esp;

import dev.strait.gateway.wire.BigEndian;
import dev.strait.gateway.wire.IpProtocol;
import java.security.GeneralSecurityException;

/**
 * The receiving half of an SA: replay check, ESN reconstruction (RFC 4303 appendix A2), authentication and
 * decryption, padding check. Thread-confined: one decrypting thread per SA.
 */
public final class EspInbound {

    private final int spi;
    private final boolean esn;
    private final EspCipher cipher;
    private final EspCounters counters;
    private final ReplayWindow window = new ReplayWindow();
    private final int headerLen;
    private final int minLen;
    private int lastNextHeader;

    public EspInbound(int spi, boolean esn, EspCipher cipher, EspCounters counters) {
        this.spi = spi;
        this.esn = esn;
        this.cipher = cipher;
        this.counters = counters;
        this.headerLen = 8 + cipher.ivLength();
        this.minLen = headerLen + cipher.align() + cipher.icvLength();
    }

    public int spi() {
        return spi;
    }

    public EspCounters counters() {
        return counters;
    }

    /** Next header of the last packet opened successfully: 4 (IPv4) or 41 (IPv6). */
    public int lastNextHeader() {
        return lastNextHeader;
    }

    ReplayWindow window() {
        return window;
    }

    /** Reads the SPI of an ESP packet (the caller checked there are at least 8 bytes). */
    public static int spiOf(byte[] pkt, int off) {
        return BigEndian.getInt(pkt, off);
    }

    /**
     * Opens the ESP packet pkt[off, off+len) into out[outOff..] (out must not be pkt).
     * @return the inner packet length (inner packet at out[outOff..]), or a negative code ({@link DropReason#ofCode})
     */
    public int open(byte[] pkt, int off, int len, byte[] out, int outOff) {
        if (len < minLen || (len - headerLen - cipher.icvLength()) % cipher.align() != 0
                || out.length - outOff < len) {
            return drop(DropReason.MALFORMED);
        }
        long seqLo = BigEndian.getInt(pkt, off + 4) & 0xFFFF_FFFFL;
        long seq = esn ? extend(seqLo) : seqLo;
        if (seq < 0 || !window.check(seq)) {
            return drop(DropReason.REPLAY);
        }
        int ptLen;
        try {
            ptLen = cipher.open(seq, esn, pkt, off, len, out, outOff);
        } catch (GeneralSecurityException | RuntimeException e) {
            ptLen = -1;
        }
        if (ptLen < 0) {
            return drop(DropReason.AUTH);
        }
        if (!window.update(seq)) {
            return drop(DropReason.REPLAY);
        }
        int padLen = out[outOff + ptLen - 2] & 0xff;
        int nextHeader = out[outOff + ptLen - 1] & 0xff;
        int innerLen = ptLen - 2 - padLen;
        if (innerLen < 0) {
            return drop(DropReason.PAD);
        }
        for (int i = 0; i < padLen; i++) {
            if (out[outOff + innerLen + i] != (byte) (i + 1)) {
                return drop(DropReason.PAD);
            }
        }
        if (nextHeader == IpProtocol.NO_NEXT_HEADER) {
            return drop(DropReason.DUMMY);
        }
        int version = innerLen > 0 ? (out[outOff] & 0xff) >>> 4 : 0;
        if (!(nextHeader == IpProtocol.IPV4 && version == 4 && innerLen >= 20)
                && !(nextHeader == IpProtocol.IPV6 && version == 6 && innerLen >= 40)) {
            return drop(DropReason.MALFORMED);
        }
        lastNextHeader = nextHeader;
        counters.inbound(innerLen);
        return innerLen;
    }

    /** RFC 4303 appendix A2.2: infer the high half of the sequence number from the window position. */
    private long extend(long seqLo) {
        long top = window.top();
        long tl = top & 0xFFFF_FFFFL;
        long th = top >>> 32;
        long w = ReplayWindow.SIZE;
        long seqHi;
        if (tl >= w - 1) {
            seqHi = seqLo >= tl - w + 1 ? th : th + 1;
        } else {
            long wrapped = (tl - w + 1) & 0xFFFF_FFFFL;
            seqHi = seqLo >= wrapped ? th - 1 : th;
        }
        return seqHi < 0 ? -1 : (seqHi << 32) | seqLo;
    }

    private int drop(DropReason reason) {
        counters.drop(reason);
        return reason.code();
    }
}
