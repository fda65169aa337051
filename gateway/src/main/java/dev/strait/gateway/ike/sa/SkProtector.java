package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.crypto.SkCipher;
import dev.strait.gateway.ike.message.IkeCodec;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.MalformedMessageException;
import dev.strait.gateway.ike.message.Payload;
import java.util.List;
import javax.crypto.AEADBadTagException;

/** Builds and opens messages whose payloads travel inside an SK payload (RFC 7296 section 3.14). */
final class SkProtector {
    private static final int GENERIC_HEADER = 4;
    /** Generic payload header plus fragment number and total (RFC 7383 section 2.5). */
    private static final int SKF_HEADER = 8;

    private SkProtector() {
    }

    /** Encodes header + SK{inner} and encrypts it with the outbound cipher. */
    static byte[] seal(SkCipher out, long spiI, long spiR, int exchange, int flags, int messageId, List<Payload> inner) {
        IkeCodec.Chain chain = IkeCodec.encodeChain(inner);
        int block = Math.max(1, out.padTo());
        int padded = chain.bytes().length + 1;
        int pad = (block - padded % block) % block;
        int bodyLength = out.ivLength() + chain.bytes().length + pad + 1 + out.icvLength();
        IkeMessage skeleton = new IkeMessage(spiI, spiR, exchange, flags, messageId,
                List.of(new Payload.Encrypted(chain.firstType(), new byte[bodyLength])));
        byte[] msg = IkeCodec.encode(skeleton);
        int ivOff = msg.length - bodyLength;
        int plainOff = ivOff + out.ivLength();
        System.arraycopy(chain.bytes(), 0, msg, plainOff, chain.bytes().length);
        // Padding bytes are zero; the pad length byte follows them.
        msg[plainOff + chain.bytes().length + pad] = (byte) pad;
        out.seal(msg, ivOff);
        return msg;
    }

    /**
     * RFC 7383 section 2.5: splits the encoded inner payloads into SKF fragments of at most maxMessageSize bytes each
     * (IKE header included), every fragment encrypted on its own. Only fragment 1 names the first inner payload.
     */
    static List<byte[]> sealFragments(SkCipher out, long spiI, long spiR, int exchange, int flags, int messageId,
                                      List<Payload> inner, int maxMessageSize) {
        IkeCodec.Chain chain = IkeCodec.encodeChain(inner);
        int block = Math.max(1, out.padTo());
        int room = maxMessageSize - IkeMessage.HEADER_LENGTH - SKF_HEADER - out.ivLength() - out.icvLength();
        int chunk = room / block * block - 1; // plaintext + pad length byte fill whole blocks
        if (chunk < 1) {
            throw new IllegalArgumentException("fragment size " + maxMessageSize + " leaves no room for data");
        }
        byte[] plain = chain.bytes();
        int total = Math.max(1, (plain.length + chunk - 1) / chunk);
        if (total > FragmentAssembler.MAX_FRAGMENTS) {
            throw new IllegalArgumentException("message needs " + total + " fragments, more than " + FragmentAssembler.MAX_FRAGMENTS);
        }
        List<byte[]> fragments = new java.util.ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            int from = i * chunk;
            int len = Math.min(chunk, plain.length - from);
            int pad = (block - (len + 1) % block) % block;
            int bodyLength = out.ivLength() + len + pad + 1 + out.icvLength();
            IkeMessage skeleton = new IkeMessage(spiI, spiR, exchange, flags, messageId, List.of(
                    new Payload.EncryptedFragment(i == 0 ? chain.firstType() : 0, i + 1, total, new byte[bodyLength])));
            byte[] msg = IkeCodec.encode(skeleton);
            int ivOff = msg.length - bodyLength;
            int plainOff = ivOff + out.ivLength();
            System.arraycopy(plain, from, msg, plainOff, len);
            msg[plainOff + len + pad] = (byte) pad;
            out.seal(msg, ivOff);
            fragments.add(msg);
        }
        return fragments;
    }

    /** Verifies and decrypts one SKF fragment; returns its share of the inner payload chain (padding removed). */
    static byte[] openFragment(SkCipher in, Payload.EncryptedFragment f, byte[] raw, int off, int len)
            throws MalformedMessageException, AEADBadTagException {
        if (f.body().length < in.ivLength() + in.icvLength() + 1) {
            throw new MalformedMessageException("SKF payload too short");
        }
        byte[] msg = java.util.Arrays.copyOfRange(raw, off, off + len);
        int ivOff = msg.length - f.body().length;
        if (ivOff < IkeMessage.HEADER_LENGTH + SKF_HEADER) {
            throw new MalformedMessageException("SKF payload not at the end of the message");
        }
        byte[] plain = in.open(msg, ivOff);
        int padLength = plain[plain.length - 1] & 0xff;
        int innerLength = plain.length - 1 - padLength;
        if (innerLength < 0) {
            throw new MalformedMessageException("SKF pad length " + padLength + " exceeds the plaintext");
        }
        return java.util.Arrays.copyOf(plain, innerLength);
    }

    /** Verifies and decrypts the SK payload of a decoded message; raw is the datagram it came from. */
    static List<Payload> open(SkCipher in, IkeMessage message, byte[] raw, int off, int len)
            throws MalformedMessageException, AEADBadTagException {
        Payload.Encrypted sk = message.first(Payload.Encrypted.class)
                .orElseThrow(() -> new MalformedMessageException("no SK payload"));
        if (sk.body().length < in.ivLength() + in.icvLength() + 1) {
            throw new MalformedMessageException("SK payload too short");
        }
        byte[] msg = java.util.Arrays.copyOfRange(raw, off, off + len);
        int ivOff = msg.length - sk.body().length;
        if (ivOff < IkeMessage.HEADER_LENGTH + GENERIC_HEADER) {
            throw new MalformedMessageException("SK payload not at the end of the message");
        }
        byte[] plain = in.open(msg, ivOff);
        int padLength = plain[plain.length - 1] & 0xff;
        int innerLength = plain.length - 1 - padLength;
        if (innerLength < 0) {
            throw new MalformedMessageException("SK pad length " + padLength + " exceeds the plaintext");
        }
        return IkeCodec.decodeChain(sk.firstInnerPayload(), plain, 0, innerLength);
    }
}
