package dev.strait.gateway.ike.message;

import java.util.Arrays;

/** Growable big-endian byte sink; range checks turn caller mistakes into IllegalArgumentException. */
final class WireWriter {
    private byte[] buf;
    private int pos;

    WireWriter(int initialCapacity) {
        buf = new byte[Math.max(64, initialCapacity)];
    }

    int position() {
        return pos;
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
        }
    }

    static int check(int value, int max, String what) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(what + " out of range 0.." + max + ": " + value);
        }
        return value;
    }

    WireWriter u8(int v, String what) {
        check(v, 0xFF, what);
        ensure(1);
        buf[pos++] = (byte) v;
        return this;
    }

    WireWriter u16(int v, String what) {
        check(v, 0xFFFF, what);
        ensure(2);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
        return this;
    }

    WireWriter u32(int v) {
        ensure(4);
        buf[pos++] = (byte) (v >>> 24);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
        return this;
    }

    WireWriter u64(long v) {
        u32((int) (v >>> 32));
        return u32((int) v);
    }

    WireWriter zeros(int n) {
        ensure(n);
        pos += n; // the array is zero-filled and never rewound over written data
        return this;
    }

    WireWriter bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
        return this;
    }

    void putU16At(int at, int v, String what) {
        check(v, 0xFFFF, what);
        buf[at] = (byte) (v >>> 8);
        buf[at + 1] = (byte) v;
    }

    void putU32At(int at, int v) {
        buf[at] = (byte) (v >>> 24);
        buf[at + 1] = (byte) (v >>> 16);
        buf[at + 2] = (byte) (v >>> 8);
        buf[at + 3] = (byte) v;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }
}
