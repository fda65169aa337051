package dev.strait.gateway.ike.message;

/**
 * IANA IKEv2 transform IDs Strait implements, one class per transform type ({@link Payload.Transform#TYPE_ENCR} and
 * the others; RFC 7296 section 3.3.2 and the later registrations).
 */
public final class TransformId {
    private TransformId() {
    }

    /** Transform Type 1: Encryption Algorithm. */
    public static final class Encr {
        public static final int AES_CBC = 12;
        public static final int AES_GCM_16 = 20;
        public static final int CAMELLIA_CBC = 23;
        public static final int CHACHA20_POLY1305 = 28;

        private Encr() {
        }
    }

    /** Transform Type 2: Pseudorandom Function. */
    public static final class Prf {
        public static final int HMAC_SHA1 = 2;
        public static final int HMAC_SHA2_256 = 5;
        public static final int HMAC_SHA2_384 = 6;
        public static final int HMAC_SHA2_512 = 7;

        private Prf() {
        }
    }

    /** Transform Type 3: Integrity Algorithm. */
    public static final class Integ {
        public static final int HMAC_SHA1_96 = 2;
        public static final int HMAC_SHA2_256_128 = 12;
        public static final int HMAC_SHA2_384_192 = 13;
        public static final int HMAC_SHA2_512_256 = 14;

        private Integ() {
        }
    }

    /** Transform Type 4 (and 6..12, RFC 9370): Key Exchange Method. */
    public static final class KeyExchange {
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

        private KeyExchange() {
        }
    }

    /** Transform Type 5: Extended Sequence Numbers. */
    public static final class Esn {
        public static final int NO = 0;
        public static final int YES = 1;

        private Esn() {
        }

        public static int of(boolean esn) {
            return esn ? YES : NO;
        }
    }
}
