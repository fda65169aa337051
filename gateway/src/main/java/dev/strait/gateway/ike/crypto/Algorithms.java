package dev.strait.gateway.ike.crypto;

import dev.strait.gateway.ike.message.TransformId;

/** The IKEv2 transforms Strait implements, with what the crypto needs of each; their numbers are {@link TransformId}'s. */
public final class Algorithms {
    private Algorithms() {
    }

    public enum Encr {
        AES_CBC(TransformId.Encr.AES_CBC, false, 16), CAMELLIA_CBC(TransformId.Encr.CAMELLIA_CBC, false, 16),
        AES_GCM_16(TransformId.Encr.AES_GCM_16, true, 8), CHACHA20_POLY1305(TransformId.Encr.CHACHA20_POLY1305, true, 8);

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
        HMAC_SHA1(TransformId.Prf.HMAC_SHA1, "HmacSHA1", 20), HMAC_SHA2_256(TransformId.Prf.HMAC_SHA2_256, "HmacSHA256", 32),
        HMAC_SHA2_384(TransformId.Prf.HMAC_SHA2_384, "HmacSHA384", 48), HMAC_SHA2_512(TransformId.Prf.HMAC_SHA2_512, "HmacSHA512", 64);

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
        HMAC_SHA1_96(TransformId.Integ.HMAC_SHA1_96, "HmacSHA1", 20, 12),
        HMAC_SHA2_256_128(TransformId.Integ.HMAC_SHA2_256_128, "HmacSHA256", 32, 16),
        HMAC_SHA2_384_192(TransformId.Integ.HMAC_SHA2_384_192, "HmacSHA384", 48, 24),
        HMAC_SHA2_512_256(TransformId.Integ.HMAC_SHA2_512_256, "HmacSHA512", 64, 32);

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
        MODP_2048(TransformId.KeyExchange.MODP_2048), MODP_3072(TransformId.KeyExchange.MODP_3072),
        MODP_4096(TransformId.KeyExchange.MODP_4096), ECP_256(TransformId.KeyExchange.ECP_256),
        ECP_384(TransformId.KeyExchange.ECP_384), ECP_521(TransformId.KeyExchange.ECP_521),
        CURVE25519(TransformId.KeyExchange.CURVE25519), CURVE448(TransformId.KeyExchange.CURVE448),
        ML_KEM_768(TransformId.KeyExchange.ML_KEM_768), ML_KEM_1024(TransformId.KeyExchange.ML_KEM_1024);

        public final int id;

        Group(int id) {
            this.id = id;
        }
    }
}
