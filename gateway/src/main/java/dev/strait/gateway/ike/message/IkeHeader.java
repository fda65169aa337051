package dev.strait.gateway.ike.message;

/**
 * The fixed 28-byte IKE header (RFC 7296 section 3.1) as read by {@link IkeCodec#peekHeader}, without
 * touching the payloads: enough to route a datagram to its IKE SA. length is the unsigned header field.
 */
public record IkeHeader(long initiatorSpi, long responderSpi, int nextPayload, int majorVersion, int minorVersion,
                        int exchangeType, int flags, int messageId, long length) {

    public boolean isResponse() { return (flags & IkeMessage.FLAG_RESPONSE) != 0; }

    /** Sent by the original initiator of the IKE SA. */
    public boolean fromInitiator() { return (flags & IkeMessage.FLAG_INITIATOR) != 0; }
}
