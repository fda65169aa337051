package dev.strait.gateway.wire;

/**
 * Big-endian field access on byte arrays, for every wire format the gateway reads and writes (IP, ESP, IKE); in a
 * package of its own so that the datapath and IKE share it without depending on each other.
 */
public final class BigEndian {
    private BigEndian() {
    }

    public static int getInt(byte[] b, int off) {
        return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
    }

    public static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    public static long getLong(byte[] b, int off) {
        return (long) getInt(b, off) << 32 | (getInt(b, off + 4) & 0xffffffffL);
    }

    public static void putLong(byte[] b, int off, long v) {
        putInt(b, off, (int) (v >>> 32));
        putInt(b, off + 4, (int) v);
    }

    public static int getShort(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }

    public static void putShort(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }
}
