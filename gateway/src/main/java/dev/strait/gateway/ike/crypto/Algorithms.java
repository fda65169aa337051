package dev.strait.gateway.ike.crypto;

import dev.strait.gateway.ike.message.TransformId;

/**
 * The IKEv2 transforms Strait implements, with what the crypto needs of each and the token strongSwan's proposal
 * syntax names it by (see {@link ProposalFormatter}); their numbers are {@link TransformId}'s.
 */
public final class Algorithms {
    private Algorithms() {
    }

    public enum Encr {
        AES_CBC(TransformId.ENCR_AES_CBC, false, 16), CAMELLIA_CBC(TransformId.ENCR_CAMELLIA_CBC, false, 16),
        AES_GCM_16(TransformId.ENCR_AES_GCM_16, true, 8), CHACHA20_POLY1305(TransformId.ENCR_CHACHA20_POLY1305, true, 8);

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
        HMAC_SHA1(TransformId.PRF_HMAC_SHA1, Hmac.SHA1, "prfsha1"),
        HMAC_SHA2_256(TransformId.PRF_HMAC_SHA2_256, Hmac.SHA2_256, "prfsha256"),
        HMAC_SHA2_384(TransformId.PRF_HMAC_SHA2_384, Hmac.SHA2_384, "prfsha384"),
        HMAC_SHA2_512(TransformId.PRF_HMAC_SHA2_512, Hmac.SHA2_512, "prfsha512");

        public final int id;
        public final String jcaName;
        public final int outputLength;
        final String token;

        Prf(int id, Hmac hmac, String token) {
            this.id = id;
            this.jcaName = hmac.jcaName;
            this.outputLength = hmac.length;
            this.token = token;
        }
    }

    public enum Integ {
        HMAC_SHA1_96(TransformId.AUTH_HMAC_SHA1_96, Hmac.SHA1, 12, "sha1"),
        HMAC_SHA2_256_128(TransformId.AUTH_HMAC_SHA2_256_128, Hmac.SHA2_256, 16, "sha256"),
        HMAC_SHA2_384_192(TransformId.AUTH_HMAC_SHA2_384_192, Hmac.SHA2_384, 24, "sha384"),
        HMAC_SHA2_512_256(TransformId.AUTH_HMAC_SHA2_512_256, Hmac.SHA2_512, 32, "sha512");

        public final int id;
        public final String jcaName;
        /** The HMAC key length: the hash's output length (RFC 4868 section 2.1.1). */
        public final int keyLength;
        public final int icvLength;
        final String token;

        Integ(int id, Hmac hmac, int icvLength, String token) {
            this.id = id;
            this.jcaName = hmac.jcaName;
            this.keyLength = hmac.length;
            this.icvLength = icvLength;
            this.token = token;
        }
    }

    /** The HMACs behind the PRF and integrity transforms: JCA name and output length in bytes. */
    private enum Hmac {
        SHA1("HmacSHA1", 20), SHA2_256("HmacSHA256", 32), SHA2_384("HmacSHA384", 48), SHA2_512("HmacSHA512", 64);

        final String jcaName;
        final int length;

        Hmac(String jcaName, int length) {
            this.jcaName = jcaName;
            this.length = length;
        }
    }

    /** Key exchange methods (IANA "Transform Type 4"). */
    public enum Group {
        MODP_2048(TransformId.MODP_2048, "modp2048"), MODP_3072(TransformId.MODP_3072, "modp3072"),
        MODP_4096(TransformId.MODP_4096, "modp4096"), ECP_256(TransformId.ECP_256, "ecp256"),
        ECP_384(TransformId.ECP_384, "ecp384"), ECP_521(TransformId.ECP_521, "ecp521"),
        CURVE25519(TransformId.CURVE25519, "x25519"), CURVE448(TransformId.CURVE448, "x448"),
        ML_KEM_768(TransformId.ML_KEM_768, "mlkem768"), ML_KEM_1024(TransformId.ML_KEM_1024, "mlkem1024");

        public final int id;
        final String token;

        Group(int id, String token) {
            this.id = id;
            this.token = token;
        }
    }
}
