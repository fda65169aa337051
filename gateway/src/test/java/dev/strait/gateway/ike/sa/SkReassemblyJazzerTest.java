package dev.strait.gateway.ike.sa;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.SkCipher;
import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeCodec;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.MalformedMessageException;
import dev.strait.gateway.ike.message.Payload;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.crypto.AEADBadTagException;

/**
 * Coverage-guided fuzzing (Jazzer) of what SkChannel.decrypt does with a datagram of an IKE SA: decode, open SK, or
 * open one SKF fragment and add it to the request or response FragmentAssembler, then decode the reassembled chain.
 * Each input is a sequence of datagrams into one pair of assemblers: raw bytes, and SK/SKF payloads that the fuzzer
 * fills but that are sealed with the SA's keys, so the fuzzer gets past the integrity check to the padding, fragment
 * numbering, limits and inner payloads. The only acceptable failures are MalformedMessageException and
 * AEADBadTagException (dropped and counted by the engine).
 */
class SkReassemblyJazzerTest {
    private static final long SPI_I = 0x1122334455667788L;
    private static final long SPI_R = 0x0102030405060708L;
    private static final int MAX_DATAGRAMS = 24;

    private static SkCipher cipher(boolean gcm) {
        byte[] enc = new byte[36];
        for (int i = 0; i < enc.length; i++) {
            enc[i] = (byte) (i * 13 + 5);
        }
        return gcm ? SkCipher.of(Algorithms.Encr.AES_GCM_16, 256, null, enc, null)
                : SkCipher.of(Algorithms.Encr.AES_CBC, 256, Algorithms.Integ.HMAC_SHA2_256_128, Arrays.copyOf(enc, 32),
                        new byte[32]);
    }

    @FuzzTest(maxDuration = "5s")
    void skAndSkfInputsAreOpenedReassembledOrDropped(FuzzedDataProvider data) {
        SkCipher sk = cipher(data.consumeBoolean());
        FragmentAssembler requests = new FragmentAssembler();
        FragmentAssembler responses = new FragmentAssembler();
        List<byte[]> sent = new ArrayList<>();
        int datagrams = data.consumeInt(1, MAX_DATAGRAMS);
        for (int i = 0; i < datagrams && data.remainingBytes() > 0; i++) {
            byte[] raw = switch (data.consumeInt(0, 3)) {
                case 0 -> data.consumeBytes(data.consumeInt(0, 1500));
                case 1 -> sealedFragment(sk, data);
                case 2 -> sealed(sk, data);
                default -> tampered(sent, data);
            };
            sent.add(raw);
            try {
                List<Payload> inner = receive(sk, requests, responses, raw);
                if (inner != null) {
                    IkeCodec.encodeChain(inner); // what we opened, we can write again
                }
            } catch (MalformedMessageException | AEADBadTagException expected) {
                // the engine drops and counts these
            }
        }
    }

    /** SkChannel.decrypt without its logging and counting. */
    static List<Payload> receive(SkCipher in, FragmentAssembler requests, FragmentAssembler responses, byte[] raw)
            throws MalformedMessageException, AEADBadTagException {
        IkeMessage m = IkeCodec.decode(raw, 0, raw.length);
        Optional<Payload.EncryptedFragment> f = m.first(Payload.EncryptedFragment.class);
        if (f.isPresent()) {
            byte[] part = SkProtector.openFragment(in, f.get(), raw, 0, raw.length);
            FragmentAssembler.Whole whole = (m.isResponse() ? responses : requests).add(m.messageId(),
                    f.get().fragmentNumber(), f.get().totalFragments(), f.get().firstInnerPayload(), part);
            if (whole == null) {
                return null;
            }
            if (whole.chain().length > FragmentAssembler.MAX_BYTES) {
                throw new AssertionError("reassembled " + whole.chain().length + " bytes, over the limit");
            }
            return IkeCodec.decodeChain(whole.firstPayload(), whole.chain(), 0, whole.chain().length);
        }
        return SkProtector.open(in, m, raw, 0, raw.length);
    }

    /** An SKF fragment with fuzzer-chosen numbering and plaintext (pad length byte included), sealed with our keys. */
    private static byte[] sealedFragment(SkCipher c, FuzzedDataProvider data) {
        int messageId = data.consumeInt(0, 3);
        int flags = data.consumeBoolean() ? IkeMessage.FLAG_RESPONSE : IkeMessage.FLAG_INITIATOR;
        int number = data.consumeInt(0, 70);
        int total = data.consumeInt(0, 70);
        int first = data.consumeBoolean() ? data.consumeInt(0, 255) : 0;
        byte[] plain = plaintext(c, data);
        // Our encoder refuses numbering a peer may send (0 of 0, 5 of 3): encode 1 of 1, then write the fuzzer's numbers.
        Payload body = new Payload.EncryptedFragment(first, 1, 1, new byte[c.ivLength() + plain.length + c.icvLength()]);
        byte[] msg = IkeCodec.encode(new IkeMessage(SPI_I, SPI_R, ExchangeType.IKE_AUTH, flags, messageId, List.of(body)));
        int at = IkeMessage.HEADER_LENGTH + 4; // the SKF payload's fragment number and total follow its generic header
        msg[at] = (byte) (number >>> 8);
        msg[at + 1] = (byte) number;
        msg[at + 2] = (byte) (total >>> 8);
        msg[at + 3] = (byte) total;
        return seal(c, msg, plain);
    }

    /** An SK payload with a fuzzer-chosen inner chain (pad length byte included), sealed with our keys. */
    private static byte[] sealed(SkCipher c, FuzzedDataProvider data) {
        int first = data.consumeInt(0, 255);
        int flags = data.consumeBoolean() ? IkeMessage.FLAG_RESPONSE : IkeMessage.FLAG_INITIATOR;
        byte[] plain = plaintext(c, data);
        Payload body = new Payload.Encrypted(first, new byte[c.ivLength() + plain.length + c.icvLength()]);
        return seal(c, IkeCodec.encode(new IkeMessage(SPI_I, SPI_R, ExchangeType.INFORMATIONAL, flags, data.consumeInt(0, 3),
                List.of(body))), plain);
    }

    /** A datagram sent before with one byte changed: its integrity check must fail (or the header no longer parse). */
    private static byte[] tampered(List<byte[]> sent, FuzzedDataProvider data) {
        if (sent.isEmpty()) {
            return new byte[0];
        }
        byte[] raw = sent.get(data.consumeInt(0, sent.size() - 1)).clone();
        if (raw.length > 0) {
            raw[data.consumeInt(0, raw.length - 1)] ^= (byte) data.consumeInt(1, 255);
        }
        return raw;
    }

    /** Fuzzer bytes, cut to what the cipher can seal (whole blocks for CBC, at least the pad length byte). */
    private static byte[] plaintext(SkCipher c, FuzzedDataProvider data) {
        byte[] plain = data.consumeBytes(data.consumeInt(1, 2048));
        int block = Math.max(1, c.padTo());
        int n = Math.max(block, plain.length / block * block);
        return Arrays.copyOf(plain, n);
    }

    /** Seals plain into the encoded message, whose last payload is an SK or SKF of the right size. */
    private static byte[] seal(SkCipher c, byte[] msg, byte[] plain) {
        int ivOff = msg.length - (c.ivLength() + plain.length + c.icvLength());
        System.arraycopy(plain, 0, msg, ivOff + c.ivLength(), plain.length);
        c.seal(msg, ivOff);
        return msg;
    }
}
