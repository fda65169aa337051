package dev.strait.gateway.ike.message;

/**
 * IANA IKEv2 transform IDs Strait implements, by transform type ({@link Payload.Transform#TYPE_ENCR} and the others;
 * RFC 7296 section 3.3.2 and later registrations), under IANA's names where the registry has prefixed ones.
 */
public final class TransformId {
    // Transform Type 1: Encryption Algorithm
    public static final int ENCR_AES_CBC = 12;
    public static final int ENCR_AES_GCM_16 = 20;
    public static final int ENCR_CAMELLIA_CBC = 23;
    public static final int ENCR_CHACHA20_POLY1305 = 28;
    // Transform Type 2: Pseudorandom Function
    public static final int PRF_HMAC_SHA1 = 2;
    public static final int PRF_HMAC_SHA2_256 = 5;
    public static final int PRF_HMAC_SHA2_384 = 6;
    public static final int PRF_HMAC_SHA2_512 = 7;
    // Transform Type 3: Integrity Algorithm
    public static final int AUTH_HMAC_SHA1_96 = 2;
    public static final int AUTH_HMAC_SHA2_256_128 = 12;
    public static final int AUTH_HMAC_SHA2_384_192 = 13;
    public static final int AUTH_HMAC_SHA2_512_256 = 14;
    // Transform Type 4 (and 6..12, RFC 9370): Key Exchange Method
    public static final int MODP_2048 = 14;
    public static final int MODP_3072 = 15;
    public static final int MODP_4096 = 16;
    public static final int ECP_256 = 19;
    public static final int ECP_384 = 20;
    public static final int ECP_521 = 21;
    public static final int CURVE25519 = 31;
    public static final int CURVE448 = 32;
    public static final int ML_KEM_768 = 36;
    public static final int ML_KEM_1024 = 37;
    // Transform Type 5: Extended Sequence Numbers
    public static final int NO_ESN = 0;
    public static final int ESN = 1;

    private TransformId() {
    }

    /** The ESN transform ID for "extended sequence numbers on/off". */
    public static int esn(boolean extended) {
        return extended ? ESN : NO_ESN;
    }
}
