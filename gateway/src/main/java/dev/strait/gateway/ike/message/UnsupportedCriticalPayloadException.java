package dev.strait.gateway.ike.message;

/** An unknown payload had its critical bit set: the message must be rejected with UNSUPPORTED_CRITICAL_PAYLOAD. */
public final class UnsupportedCriticalPayloadException extends MalformedMessageException {
    private final int payloadType;

    public UnsupportedCriticalPayloadException(int payloadType) {
        super("unsupported critical payload type " + payloadType);
        this.payloadType = payloadType;
    }

    public int payloadType() {
        return payloadType;
    }
}
