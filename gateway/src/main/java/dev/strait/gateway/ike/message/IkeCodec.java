package dev.strait.gateway.ike.message;

import java.util.List;

/**
 * Encodes and decodes IKEv2 messages and payload chains (RFC 7296 section 3) with strict bounds checks.
 * No crypto here: an SK payload is carried as its opaque body.
 */
public final class IkeCodec {
    private IkeCodec() {
    }

    /** A decoded chain of payloads and the type of its first element (what precedes it names it). */
    public record Chain(int firstType, byte[] bytes) {
    }

    public static byte[] encode(IkeMessage message) {
        throw new UnsupportedOperationException("codec: to be implemented");
    }

    public static IkeMessage decode(byte[] buf, int off, int len) throws MalformedMessageException {
        throw new UnsupportedOperationException("codec: to be implemented");
    }

    public static Chain encodeChain(List<Payload> payloads) {
        throw new UnsupportedOperationException("codec: to be implemented");
    }

    public static List<Payload> decodeChain(int firstType, byte[] buf, int off, int len) throws MalformedMessageException {
        throw new UnsupportedOperationException("codec: to be implemented");
    }
}
