package dev.strait.gateway.ike.crypto;

import java.math.BigInteger;

/** Small byte-array helpers shared by the crypto package. */
final class Bytes {
    private Bytes() {
    }

    static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] out = new byte[length];
        int off = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, off, part.length);
            off += part.length;
        }
        return out;
    }

    /** Unsigned big-endian encoding of value in exactly length bytes (the fixed-length form IKE requires). */
    static byte[] fixedLength(BigInteger value, int length) {
        byte[] raw = value.toByteArray();
        if (raw.length == length) {
            return raw;
        }
        byte[] out = new byte[length];
        if (raw.length > length) {
            int skip = raw.length - length;
            for (int i = 0; i < skip; i++) {
                if (raw[i] != 0) {
                    throw new IllegalArgumentException("value does not fit in " + length + " bytes");
                }
            }
            System.arraycopy(raw, skip, out, 0, length);
        } else {
            System.arraycopy(raw, 0, out, length - raw.length, raw.length);
        }
        return out;
    }

    static byte[] leftPad(byte[] value, int length) {
        return value.length == length ? value : fixedLength(new BigInteger(1, value), length);
    }
}
