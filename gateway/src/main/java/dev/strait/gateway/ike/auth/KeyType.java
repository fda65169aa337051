package dev.strait.gateway.ike.auth;

import java.security.Key;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.RSAKey;

/** The signing key kinds we accept for our own and the peer's certificate. */
public enum KeyType {
    RSA, ECDSA_P256, ECDSA_P384, ECDSA_P521, ED25519;

    /** Smallest RSA modulus we accept (RFC 8247 section 3.2 deprecates RSA below 2048 bits). */
    public static final int MIN_RSA_BITS = 2048;

    /** Kind of a JCA public or private key; throws if it is one we do not support (DSA, Ed448, other curves). */
    public static KeyType of(Key key) {
        if (key instanceof RSAKey rsa) {
            if (rsa.getModulus().bitLength() < MIN_RSA_BITS) {
                throw new IllegalArgumentException("RSA key of " + rsa.getModulus().bitLength()
                        + " bits is too small (minimum " + MIN_RSA_BITS + ")");
            }
            return RSA;
        }
        if (key instanceof ECKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            return switch (bits) {
                case 256 -> ECDSA_P256;
                case 384 -> ECDSA_P384;
                case 521 -> ECDSA_P521;
                default -> throw new IllegalArgumentException("EC curve of " + bits + " bits is not supported (P-256, P-384, P-521)");
            };
        }
        if (key instanceof EdECKey ed && "Ed25519".equalsIgnoreCase(ed.getParams().getName())) {
            return ED25519;
        }
        throw new IllegalArgumentException("key algorithm " + key.getAlgorithm()
                + " is not supported (RSA, ECDSA P-256/P-384/P-521, Ed25519)");
    }

    /** The hash that matches the curve's strength (what strongSwan uses for ECDSA keys); null for RSA. */
    SignatureHash curveHash() {
        return switch (this) {
            case ECDSA_P256 -> SignatureHash.SHA2_256;
            case ECDSA_P384 -> SignatureHash.SHA2_384;
            case ECDSA_P521 -> SignatureHash.SHA2_512;
            case ED25519 -> SignatureHash.IDENTITY;
            case RSA -> null;
        };
    }

    boolean isEcdsa() {
        return this == ECDSA_P256 || this == ECDSA_P384 || this == ECDSA_P521;
    }
}
