package dev.strait.gateway.ike.message;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One IKEv2 message: the header fields (RFC 7296 section 3.1) and its top-level payloads, in order.
 * The version is always 2.0; length and next-payload are derived by the codec.
 */
public record IkeMessage(long initiatorSpi, long responderSpi, int exchangeType, int flags, int messageId,
                         List<Payload> payloads) {
    public static final int FLAG_INITIATOR = 0x08;
    public static final int FLAG_VERSION = 0x10;
    public static final int FLAG_RESPONSE = 0x20;
    public static final int HEADER_LENGTH = 28;

    public IkeMessage {
        payloads = List.copyOf(payloads);
    }

    public boolean isResponse() { return (flags & FLAG_RESPONSE) != 0; }

    /** Sent by the original initiator of the IKE SA. */
    public boolean fromInitiator() { return (flags & FLAG_INITIATOR) != 0; }

    public IkeMessage withPayloads(List<Payload> newPayloads) {
        return new IkeMessage(initiatorSpi, responderSpi, exchangeType, flags, messageId, newPayloads);
    }

    public <T extends Payload> Optional<T> first(Class<T> kind) {
        return all(kind).findFirst();
    }

    public <T extends Payload> Stream<T> all(Class<T> kind) {
        return payloads.stream().filter(kind::isInstance).map(kind::cast);
    }

    public Stream<Payload.Notify> notifies() {
        return all(Payload.Notify.class);
    }

    public Optional<Payload.Notify> notify(int notifyType) {
        return notifies().filter(n -> n.notifyType() == notifyType).findFirst();
    }
}
