package dev.strait.gateway.ike.crypto;

/** IANA IKEv2 transform identifiers that Strait implements (RFC 7296 section 3.3.2 and later registries). */
public final class Algorithms {
    private Algorithms() {
    }

    public enum Encr {
        AES_CBC(12, false, 16), CAMELLIA_CBC(23, false, 16), AES_GCM_16(20, true, 8), CHACHA20_POLY1305(28, true, 8);

        public final int id;
        public final boolean aead;
        /** IV length in IKE SK payloads and ESP. */
        public final int ivLength;

        Encr(int id, boolean aead, int ivLength) {
            this.id = id;
            this.aead = aead;
            this.ivLength = ivLength;
        }

        /** Key material length in bytes for a key of keyBits, including the 4-byte salt of AEAD modes. */
        public int keyMaterialLength(int keyBits) {
            return keyBits / 8 + (aead ? 4 : 0);
        }
    }

    public enum Prf {
        HMAC_SHA1(2, "HmacSHA1", 20), HMAC_SHA2_256(5, "HmacSHA256", 32), HMAC_SHA2_384(6, "HmacSHA384", 48),
        HMAC_SHA2_512(7, "HmacSHA512", 64);

        public final int id;
        public final String jcaName;
        public final int outputLength;

        Prf(int id, String jcaName, int outputLength) {
            this.id = id;
            this.jcaName = jcaName;
            this.outputLength = outputLength;
        }
    }

    public enum Integ {
        HMAC_SHA1_96(2, "HmacSHA1", 20, 12), HMAC_SHA2_256_128(12, "HmacSHA256", 32, 16),
        HMAC_SHA2_384_192(13, "HmacSHA384", 48, 24), HMAC_SHA2_512_256(14, "HmacSHA512", 64, 32);

        public final int id;
        public final String jcaName;
        public final int keyLength;
        public final int icvLength;

        Integ(int id, String jcaName, int keyLength, int icvLength) {
            this.id = id;
            this.jcaName = jcaName;
            this.keyLength = keyLength;
            this.icvLength = icvLength;
        }
    }

    /** Key exchange methods (IANA "Transform Type 4"). */
    public enum Group {
        MODP_2048(14), MODP_3072(15), MODP_4096(16), ECP_256(19), ECP_384(20), ECP_521(21),
        CURVE25519(31), CURVE448(32), ML_KEM_768(36), ML_KEM_1024(37);

        public final int id;

        Group(int id) {
            this.id = id;
        }
    }
}
