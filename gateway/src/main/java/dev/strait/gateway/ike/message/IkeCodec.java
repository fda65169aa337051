package dev.strait.gateway.ike.message;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Encodes and decodes IKEv2 messages and payload chains (RFC 7296 section 3, RFC 7383 SKF) with strict bounds checks.
 * No crypto here: an SK/SKF payload is carried as its opaque body and is always the last payload of a chain,
 * because its next-payload field names the first inner payload instead of a following one.
 *
 * <p>Decoding never throws anything but {@link MalformedMessageException} (or its subclasses
 * {@link UnsupportedCriticalPayloadException}, {@link UnsupportedMajorVersionException}) for any content of the
 * given region; an (off, len) region outside the array is a caller bug and throws IndexOutOfBoundsException.
 * Encoding throws IllegalArgumentException for values that do not fit their wire fields.
 *
 * <p>To build an SK message, encode it with a body of the final size (IV, padded ciphertext and ICV
 * placeholders): the body is then the last {@code body.length} bytes of the result, and everything
 * before it is the associated data for the integrity check / AEAD.
 */
public final class IkeCodec {
    /** Generic payload header: next payload, critical bit + reserved, length. */
    public static final int PAYLOAD_HEADER_LENGTH = 4;
    private static final int CRITICAL = 0x80;
    private static final int VERSION_2_0 = 0x20;

    private IkeCodec() {
    }

    /** An encoded chain of payloads and the type of its first element (what precedes it names it). */
    public record Chain(int firstType, byte[] bytes) {
    }

    public static byte[] encode(IkeMessage message) {
        WireWriter w = new WireWriter(512);
        List<Payload> payloads = message.payloads();
        w.u64(message.initiatorSpi())
                .u64(message.responderSpi())
                .u8(payloads.isEmpty() ? PayloadType.NONE : payloads.getFirst().type(), "next payload")
                .u8(VERSION_2_0, "version")
                .u8(message.exchangeType(), "exchange type")
                .u8(message.flags(), "flags")
                .u32(message.messageId())
                .u32(0); // length, patched below
        writeChain(w, payloads);
        w.putU32At(24, w.position());
        return w.toByteArray();
    }

    public static IkeMessage decode(byte[] buf, int off, int len) throws MalformedMessageException {
        IkeHeader h = peekHeader(buf, off, len);
        List<Payload> payloads = decodeChain(h.nextPayload(), buf, off + IkeMessage.HEADER_LENGTH,
                len - IkeMessage.HEADER_LENGTH);
        return new IkeMessage(h.initiatorSpi(), h.responderSpi(), h.exchangeType(), h.flags(), h.messageId(), payloads);
    }

    /**
     * Reads and checks the fixed header only (length at least 28, major version 2, length field equal to len).
     * Cheap enough to route every datagram before decoding it.
     */
    public static IkeHeader peekHeader(byte[] buf, int off, int len) throws MalformedMessageException {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (len < IkeMessage.HEADER_LENGTH) {
            throw new MalformedMessageException("message of " + len + " bytes is shorter than the 28-byte IKE header");
        }
        WireReader r = new WireReader(buf, off, IkeMessage.HEADER_LENGTH);
        long ispi = r.u64("initiator SPI");
        long rspi = r.u64("responder SPI");
        int next = r.u8("next payload");
        int version = r.u8("version");
        int exchange = r.u8("exchange type");
        int flags = r.u8("flags");
        int messageId = r.u32("message ID");
        long length = r.u32("length") & 0xFFFFFFFFL;
        IkeHeader header = new IkeHeader(ispi, rspi, next, version >>> 4, version & 0x0F, exchange, flags, messageId,
                length);
        if (header.majorVersion() != 2) {
            throw new UnsupportedMajorVersionException(header);
        }
        if (length != len) {
            throw new MalformedMessageException("header length " + length + " differs from datagram length " + len);
        }
        return header;
    }

    /** Encodes payloads as the inner chain of an SK payload (the plaintext before padding and encryption). */
    public static Chain encodeChain(List<Payload> payloads) {
        WireWriter w = new WireWriter(256);
        writeChain(w, payloads);
        return new Chain(payloads.isEmpty() ? PayloadType.NONE : payloads.getFirst().type(), w.toByteArray());
    }

    /** Decodes a payload chain whose first payload has type firstType (the inner payloads of a decrypted SK). */
    public static List<Payload> decodeChain(int firstType, byte[] buf, int off, int len) throws MalformedMessageException {
        Objects.checkFromIndexSize(off, len, buf.length);
        WireReader r = new WireReader(buf, off, len);
        List<Payload> out = new ArrayList<>();
        int type = firstType;
        while (type != PayloadType.NONE) {
            String what = "payload " + PayloadType.name(type);
            int next = r.u8(what + " header");
            int flags = r.u8(what + " header");
            int length = r.u16(what + " header");
            if (length < PAYLOAD_HEADER_LENGTH) {
                throw new MalformedMessageException(what + " length " + length + " is below 4");
            }
            if (length - PAYLOAD_HEADER_LENGTH > r.remaining()) {
                throw new MalformedMessageException(what + " length " + length + " exceeds the "
                        + (r.remaining() + PAYLOAD_HEADER_LENGTH) + " bytes left in the message");
            }
            WireReader body = r.slice(length - PAYLOAD_HEADER_LENGTH, what);
            if (!PayloadType.isKnown(type)) {
                if ((flags & CRITICAL) != 0) {
                    throw new UnsupportedCriticalPayloadException(type);
                }
                out.add(new Payload.Unknown(type, body.rest()));
            } else {
                out.add(PayloadBodies.decode(type, next, body));
            }
            if (type == PayloadType.SK || type == PayloadType.SKF) {
                // next names the first inner payload; nothing may follow the encrypted payload
                r.expectEnd(what + " must be the last payload");
                return out;
            }
            type = next;
        }
        r.expectEnd("after the last payload");
        return out;
    }

    private static void writeChain(WireWriter w, List<Payload> payloads) {
        for (int i = 0; i < payloads.size(); i++) {
            Payload p = Objects.requireNonNull(payloads.get(i), "payload");
            boolean last = i == payloads.size() - 1;
            int next = switch (p) {
                case Payload.Encrypted e -> e.firstInnerPayload();
                case Payload.EncryptedFragment f -> f.firstInnerPayload();
                default -> last ? PayloadType.NONE : payloads.get(i + 1).type();
            };
            if (!last && (p instanceof Payload.Encrypted || p instanceof Payload.EncryptedFragment)) {
                throw new IllegalArgumentException(PayloadType.name(p.type()) + " must be the last payload");
            }
            if (p instanceof Payload.Unknown u) {
                WireWriter.check(u.payloadType(), 0xFF, "unknown payload type");
            }
            int start = w.position();
            w.u8(next, "next payload").u8(0, "critical").u16(0, "length");
            PayloadBodies.encode(p, w);
            w.putU16At(start + 2, w.position() - start, PayloadType.name(p.type()) + " length");
        }
    }
}
