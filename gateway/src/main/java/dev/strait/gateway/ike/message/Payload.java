package dev.strait.gateway.ike.message;

import java.util.List;

/**
 * An IKEv2 payload (RFC 7296 section 3). Records hold the decoded body only; the generic payload header
 * (next payload, critical bit, length) is produced and checked by {@link IkeCodec}.
 * byte[] components are owned by the record: callers must not modify them after construction.
 */
public sealed interface Payload {
    /** The payload type number that precedes this payload in the chain (RFC 7296 section 3.2). */
    int type();

    /** SA: one or more proposals (section 3.3). */
    record Sa(List<Proposal> proposals) implements Payload {
        public int type() { return PayloadType.SA; }
    }

    /** Proposal substructure; protocolId 1 = IKE, 2 = AH, 3 = ESP; spi empty for the initial IKE SA. */
    record Proposal(int number, int protocolId, byte[] spi, List<Transform> transforms) {
        public static final int PROTOCOL_IKE = 1;
        public static final int PROTOCOL_AH = 2;
        public static final int PROTOCOL_ESP = 3;
    }

    /** Transform substructure; keyLength is the Key Length attribute (bits) or null when absent. */
    record Transform(int transformType, int transformId, Integer keyLength) {
        public static final int TYPE_ENCR = 1;
        public static final int TYPE_PRF = 2;
        public static final int TYPE_INTEG = 3;
        public static final int TYPE_KE = 4;
        public static final int TYPE_ESN = 5;
        /** RFC 9370: Additional Key Exchange 1..7 are transform types 6..12. */
        public static final int TYPE_ADDITIONAL_KE_1 = 6;
        /** The only IKEv2 transform attribute (RFC 7296 section 3.3.5), always in TV format. */
        public static final int ATTRIBUTE_KEY_LENGTH = 14;
    }

    /** KE (section 3.4): Diffie-Hellman group number and the public value. */
    record KeyExchange(int group, byte[] data) implements Payload {
        public int type() { return PayloadType.KE; }
    }

    /** Ni / Nr (section 3.9): 16..256 bytes. */
    record Nonce(byte[] data) implements Payload {
        public int type() { return PayloadType.NONCE; }
    }

    /** IDi (initiator = true) or IDr (section 3.5). data is the identification data after the 3 reserved bytes. */
    record Identification(boolean initiator, int idType, byte[] data) implements Payload {
        public static final int ID_IPV4_ADDR = 1;
        public static final int ID_FQDN = 2;
        public static final int ID_RFC822_ADDR = 3;
        public static final int ID_IPV6_ADDR = 5;
        public static final int ID_DER_ASN1_DN = 9;
        public static final int ID_KEY_ID = 11;

        public int type() { return initiator ? PayloadType.IDI : PayloadType.IDR; }
    }

    /** AUTH (section 3.8). */
    record Auth(int method, byte[] data) implements Payload {
        /** Shared Key Message Integrity Code (RFC 7296 section 3.8). */
        public static final int METHOD_SHARED_KEY = 2;
        /** Digital Signature (RFC 7427 section 3). */
        public static final int METHOD_DIGITAL_SIGNATURE = 14;

        public int type() { return PayloadType.AUTH; }
    }

    /** CERT (section 3.6). */
    record Cert(int encoding, byte[] data) implements Payload {
        public int type() { return PayloadType.CERT; }
    }

    /** CERTREQ (section 3.7): data is a concatenation of 20-byte SHA-1 hashes of CA public keys for X.509. */
    record CertReq(int encoding, byte[] data) implements Payload {
        /** X.509 Certificate - Signature: the only encoding whose CA list is checked (20-byte SHA-1 hashes). */
        public static final int ENCODING_X509_SIGNATURE = 4;

        public int type() { return PayloadType.CERTREQ; }
    }

    /** N (section 3.10). protocolId 0 when no SPI; spi empty when absent. */
    record Notify(int protocolId, byte[] spi, int notifyType, byte[] data) implements Payload {
        /** Protocol ID 0: the notify is about the IKE SA or the exchange, and carries no SPI. */
        public static final int PROTOCOL_NONE = 0;

        public int type() { return PayloadType.NOTIFY; }

        public boolean isError() { return NotifyType.isError(notifyType); }

        /** A notify about the IKE SA or the exchange (protocol 0, no SPI). */
        public static Notify of(int notifyType, byte[] data) {
            return new Notify(PROTOCOL_NONE, new byte[0], notifyType, data);
        }
    }

    /** D (section 3.11): spiSize is 0 for IKE (no SPIs), 4 for ESP/AH. */
    record Delete(int protocolId, int spiSize, List<byte[]> spis) implements Payload {
        public int type() { return PayloadType.DELETE; }
    }

    /** V (section 3.12). */
    record VendorId(byte[] data) implements Payload {
        public int type() { return PayloadType.VENDOR_ID; }
    }

    /** TSi (initiator = true) or TSr (section 3.13). */
    record TrafficSelectors(boolean initiator, List<TrafficSelector> selectors) implements Payload {
        public int type() { return initiator ? PayloadType.TSI : PayloadType.TSR; }
    }

    /** Traffic selector; tsType 7 = TS_IPV4_ADDR_RANGE (4-byte addresses), 8 = TS_IPV6_ADDR_RANGE (16-byte). */
    record TrafficSelector(int tsType, int ipProtocol, int startPort, int endPort, byte[] startAddress, byte[] endAddress) {
        public static final int TS_IPV4_ADDR_RANGE = 7;
        public static final int TS_IPV6_ADDR_RANGE = 8;

        /** Address length for a traffic selector type, or -1 for types the codec does not support. */
        public static int addressLength(int tsType) {
            return switch (tsType) {
                case TS_IPV4_ADDR_RANGE -> 4;
                case TS_IPV6_ADDR_RANGE -> 16;
                default -> -1;
            };
        }
    }

    /** CP (section 3.15). */
    record Configuration(int cfgType, List<ConfigAttribute> attributes) implements Payload {
        public int type() { return PayloadType.CP; }
    }

    record ConfigAttribute(int attributeType, byte[] value) {
    }

    /** EAP (section 3.16), carried opaquely. */
    record Eap(byte[] data) implements Payload {
        public int type() { return PayloadType.EAP; }
    }

    /**
     * SK (section 3.14). firstInnerPayload is the type of the first payload inside; body is
     * IV || ciphertext || ICV exactly as on the wire. Always the last payload of a message.
     */
    record Encrypted(int firstInnerPayload, byte[] body) implements Payload {
        public int type() { return PayloadType.SK; }
    }

    /** SKF (RFC 7383 section 2.5). firstInnerPayload is non-zero only in fragment number 1. */
    record EncryptedFragment(int firstInnerPayload, int fragmentNumber, int totalFragments, byte[] body) implements Payload {
        public int type() { return PayloadType.SKF; }
    }

    /** A payload type we do not implement, non-critical (critical unknown ones are rejected by the codec). */
    record Unknown(int payloadType, byte[] body) implements Payload {
        public int type() { return payloadType; }
    }
}
