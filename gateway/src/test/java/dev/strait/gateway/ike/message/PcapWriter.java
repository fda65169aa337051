package dev.strait.gateway.ike.message;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Classic libpcap file with LINKTYPE_RAW (101) frames: IPv4 + UDP with correct lengths and checksums. */
final class PcapWriter {
    private static final int LINKTYPE_RAW = 101;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int seconds = 1_700_000_000;

    PcapWriter() {
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0xA1B2C3D4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535)
                .putInt(LINKTYPE_RAW);
        out.writeBytes(h.array());
    }

    /** One UDP datagram from src:sport to dst:dport (addresses are 4-byte IPv4). */
    void udp(byte[] src, int sport, byte[] dst, int dport, byte[] payload) {
        int udpLen = 8 + payload.length;
        ByteBuffer p = ByteBuffer.allocate(20 + udpLen); // big-endian network order
        p.put((byte) 0x45).put((byte) 0).putShort((short) (20 + udpLen)).putShort((short) 1).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 17).putShort((short) 0).put(src).put(dst);
        p.putShort(10, (short) checksum(p.array(), 0, 20, 0));
        p.putShort((short) sport).putShort((short) dport).putShort((short) udpLen).putShort((short) 0).put(payload);
        // UDP checksum over the pseudo header (addresses, protocol, length) and the datagram
        long pseudo = sum(src, 0, 4) + sum(dst, 0, 4) + 17 + udpLen;
        int c = checksum(p.array(), 20, udpLen, pseudo);
        p.putShort(26, (short) (c == 0 ? 0xFFFF : c));
        ByteBuffer rec = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        rec.putInt(seconds++).putInt(0).putInt(p.capacity()).putInt(p.capacity());
        out.writeBytes(rec.array());
        out.writeBytes(p.array());
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private static long sum(byte[] b, int off, int len) {
        long s = 0;
        for (int i = 0; i < len; i += 2) {
            int hi = b[off + i] & 0xFF;
            int lo = i + 1 < len ? b[off + i + 1] & 0xFF : 0;
            s += (hi << 8) | lo;
        }
        return s;
    }

    private static int checksum(byte[] b, int off, int len, long initial) {
        long s = initial + sum(b, off, len);
        while ((s >>> 16) != 0) {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int) (~s & 0xFFFF);
    }
}
