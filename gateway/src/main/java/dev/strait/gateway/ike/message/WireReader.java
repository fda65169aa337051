package dev.strait.gateway.ike.message;

/**
 * Big-endian cursor over a bounded region of a byte array. Every read checks the region's end and
 * throws {@link MalformedMessageException} naming the field, so callers never index out of bounds.
 */
final class WireReader {
    private final byte[] buf;
    private int pos;
    private final int end;

    WireReader(byte[] buf, int off, int len) {
        this.buf = buf;
        this.pos = off;
        this.end = off + len;
    }

    int remaining() {
        return end - pos;
    }

    private void need(int n, String what) throws MalformedMessageException {
        if (n < 0 || n > end - pos) {
            throw new MalformedMessageException(what + " truncated: needs " + n + " bytes, " + (end - pos) + " left");
        }
    }

    int u8(String what) throws MalformedMessageException {
        need(1, what);
        return buf[pos++] & 0xFF;
    }

    int u16(String what) throws MalformedMessageException {
        need(2, what);
        int v = ((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF);
        pos += 2;
        return v;
    }

    int u32(String what) throws MalformedMessageException {
        need(4, what);
        int v = ((buf[pos] & 0xFF) << 24) | ((buf[pos + 1] & 0xFF) << 16) | ((buf[pos + 2] & 0xFF) << 8)
                | (buf[pos + 3] & 0xFF);
        pos += 4;
        return v;
    }

    long u64(String what) throws MalformedMessageException {
        need(8, what);
        long hi = u32(what) & 0xFFFFFFFFL;
        long lo = u32(what) & 0xFFFFFFFFL;
        return (hi << 32) | lo;
    }

    void skip(int n, String what) throws MalformedMessageException {
        need(n, what);
        pos += n;
    }

    byte[] bytes(int n, String what) throws MalformedMessageException {
        need(n, what);
        byte[] out = new byte[n];
        System.arraycopy(buf, pos, out, 0, n);
        pos += n;
        return out;
    }

    byte[] rest() {
        byte[] out = new byte[end - pos];
        System.arraycopy(buf, pos, out, 0, out.length);
        pos = end;
        return out;
    }

    /** Carves the next n bytes out as their own reader and moves past them. */
    WireReader slice(int n, String what) throws MalformedMessageException {
        need(n, what);
        WireReader sub = new WireReader(buf, pos, n);
        pos += n;
        return sub;
    }

    void expectEnd(String what) throws MalformedMessageException {
        if (pos != end) {
            throw new MalformedMessageException(what + ": " + (end - pos) + " unexpected trailing bytes");
        }
    }
}
