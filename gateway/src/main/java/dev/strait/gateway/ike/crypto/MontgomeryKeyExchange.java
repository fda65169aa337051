package dev.strait.gateway.ike.crypto;

import java.security.GeneralSecurityException;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.bouncycastle.math.ec.rfc7748.X448;

/** Curve25519 / Curve448 (RFC 8031) with BouncyCastle's RFC 7748 code (about 5x faster than the JCA XDH). */
final class MontgomeryKeyExchange extends DhKeyExchange {
    private final byte[] privateKey;

    private MontgomeryKeyExchange(Algorithms.Group group, byte[] privateKey) {
        super(group, publicKey(group, privateKey));
        this.privateKey = privateKey;
    }

    private static byte[] publicKey(Algorithms.Group group, byte[] privateKey) {
        byte[] publicValue = new byte[privateKey.length];
        if (group == Algorithms.Group.CURVE25519) {
            X25519.generatePublicKey(privateKey, 0, publicValue, 0);
        } else {
            X448.generatePublicKey(privateKey, 0, publicValue, 0);
        }
        return publicValue;
    }

    static MontgomeryKeyExchange generate(Algorithms.Group group) {
        byte[] k = new byte[keyLength(group)];
        if (group == Algorithms.Group.CURVE25519) {
            X25519.generatePrivateKey(RANDOM, k);
        } else {
            X448.generatePrivateKey(RANDOM, k);
        }
        return new MontgomeryKeyExchange(group, k);
    }

    /** Deterministic construction for known-answer tests only. */
    static MontgomeryKeyExchange fromPrivate(Algorithms.Group group, byte[] privateKey) {
        if (privateKey.length != keyLength(group)) {
            throw new IllegalArgumentException("private key must be " + keyLength(group) + " bytes");
        }
        return new MontgomeryKeyExchange(group, privateKey.clone());
    }

    private static int keyLength(Algorithms.Group group) {
        return switch (group) {
            case CURVE25519 -> X25519.SCALAR_SIZE;
            case CURVE448 -> X448.SCALAR_SIZE;
            default -> throw new IllegalArgumentException(group + " is not a Montgomery curve group");
        };
    }

    @Override
    byte[] agree(byte[] peerData) throws GeneralSecurityException {
        byte[] secret = new byte[privateKey.length];
        boolean nonZero = group() == Algorithms.Group.CURVE25519
                ? X25519.calculateAgreement(privateKey, 0, peerData, 0, secret, 0)
                : X448.calculateAgreement(privateKey, 0, peerData, 0, secret, 0);
        if (!nonZero) {
            // RFC 8031 section 2.3 / RFC 7748 section 6: a low-order peer point yields all zeros
            throw new GeneralSecurityException(group() + ": shared secret is all zeros (low-order peer point)");
        }
        return secret;
    }
}
