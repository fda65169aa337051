package dev.strait.gateway.ike.message;

import dev.strait.gateway.wire.BigEndian;

/** Big-endian fields as IKE carries them (SPIs, group numbers, message IDs): the one place that packs and unpacks them. */
public final class WireBytes {
    private WireBytes() {
    }

    /** A 4-byte SPI (ESP, AH) or any 32-bit field. */
    public static byte[] u32(int v) {
        byte[] b = new byte[4];
        putU32(b, 0, v);
        return b;
    }

    public static int u32(byte[] b) {
        return u32(b, 0);
    }

    public static int u32(byte[] b, int off) {
        return BigEndian.getInt(b, off);
    }

    public static void putU32(byte[] b, int off, int v) {
        BigEndian.putInt(b, off, v);
    }

    /** A 2-byte field, such as the group number in INVALID_KE_PAYLOAD (RFC 7296 section 3.10.1). */
    public static byte[] u16(int v) {
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }

    /** The 2-byte field b holds, or -1 when b is not 2 bytes long. */
    public static int u16(byte[] b) {
        return b.length == 2 ? (b[0] & 0xff) << 8 | (b[1] & 0xff) : -1;
    }

    public static void putU16(byte[] b, int off, int v) {
        BigEndian.putShort(b, off, v);
    }

    /** An 8-byte IKE SPI. */
    public static byte[] u64(long v) {
        byte[] b = new byte[8];
        BigEndian.putLong(b, 0, v);
        return b;
    }

    public static long u64(byte[] b) {
        return BigEndian.getLong(b, 0);
    }
}
