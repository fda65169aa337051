package dev.strait.gateway.esp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.wire.BigEndian;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing (Jazzer) of the ESP inbound path (EspInbound.open: length checks, replay window with and
 * without ESN, decryption, padding, next header, inner version). Each input is a sequence of packets into one SA: raw
 * bytes, and packets whose plaintext (padding and trailer included) the fuzzer chooses but that are sealed with the
 * SA's keys, so the checks after the ICV are reached too. Every packet is either delivered or dropped with a reason,
 * never thrown on, and every drop is counted: delivered + counted drops = packets.
 */
class EspInboundJazzerTest {
    private static final int SPI = 0x5eed0001;
    private static final int MAX_PACKETS = 32;

    private static EspCipher cipher(int suite) {
        byte[] enc = new byte[36];
        byte[] integ = new byte[64];
        for (int i = 0; i < enc.length; i++) {
            enc[i] = (byte) (i * 11 + 3);
        }
        return switch (suite) {
            case 0 -> EspCipher.create(Algorithms.Encr.AES_GCM_16, 256, null, enc, null);
            case 1 -> EspCipher.create(Algorithms.Encr.CHACHA20_POLY1305, 256, null, enc, null);
            default -> EspCipher.create(Algorithms.Encr.AES_CBC, 128, Algorithms.Integ.HMAC_SHA2_256_128,
                    Arrays.copyOf(enc, 16), Arrays.copyOf(integ, 32));
        };
    }

    @FuzzTest(maxDuration = "5s")
    void everyPacketIsDeliveredOrDroppedAndCounted(FuzzedDataProvider data) throws GeneralSecurityException {
        int suite = data.consumeInt(0, 2);
        boolean esn = data.consumeBoolean();
        EspCipher sealer = cipher(suite);
        EspCounters counters = new EspCounters(null);
        EspInbound in = new EspInbound(SPI, esn, cipher(suite), counters);
        byte[] out = new byte[4096];
        int packets = 0;
        long delivered = 0;
        java.util.Set<Long> sealedSeqs = new java.util.HashSet<>();
        int n = data.consumeInt(1, MAX_PACKETS);
        for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
            byte[] pkt = data.consumeBoolean() ? sealed(sealer, esn, data, sealedSeqs) : data.consumeBytes(data.consumeInt(0, 1600));
            if (pkt.length < 8) {
                continue; // the datapath reads the SPI first and never hands over shorter packets
            }
            int r = in.open(pkt, 0, pkt.length, out, 0);
            packets++;
            if (r >= 0) {
                delivered++;
                if (r > pkt.length) {
                    throw new AssertionError("inner packet of " + r + " bytes from an ESP packet of " + pkt.length);
                }
                int version = (out[0] & 0xff) >>> 4;
                if (version != 4 && version != 6) {
                    throw new AssertionError("delivered a packet of IP version " + version);
                }
            } else {
                DropReason.ofCode(r); // a known reason, or this throws
            }
        }
        long dropped = counters.drops().values().stream().mapToLong(Long::longValue).sum();
        if (delivered != counters.packetsIn() || delivered + dropped != packets) {
            throw new AssertionError(packets + " packets: " + delivered + " delivered, counted " + counters.packetsIn()
                    + " in and " + dropped + " dropped " + counters.drops());
        }
    }

    /**
     * SPI, fuzzer-chosen sequence number and plaintext (padding, pad length, next header included), sealed. A sequence
     * number is sealed once (a sender never repeats one, and the JCA refuses a repeated GCM nonce); a repeat is sent
     * again as the packet sealed first, a replay.
     */
    private static byte[] sealed(EspCipher c, boolean esn, FuzzedDataProvider data, java.util.Set<Long> used)
            throws GeneralSecurityException {
        long seq = esn ? data.consumeLong(0, (1L << 34)) : data.consumeLong(0, 0xFFFF_FFFFL);
        if (!used.add(seq)) {
            return new byte[0];
        }
        byte[] plain = data.consumeBytes(data.consumeInt(0, 1500));
        int align = c.align();
        plain = Arrays.copyOf(plain, Math.max(align, (plain.length + align - 1) / align * align));
        byte[] pkt = new byte[8 + c.ivLength() + plain.length + c.icvLength() + 64];
        BigEndian.putInt(pkt, 0, SPI);
        BigEndian.putInt(pkt, 4, (int) seq);
        int len = c.seal(seq, esn, pkt, 0, plain, 0, plain.length, new byte[0], 0);
        return Arrays.copyOf(pkt, len);
    }
}
