package dev.strait.gateway.ike.crypto;

import java.security.GeneralSecurityException;

/**
 * One side of one key exchange. For Diffie-Hellman groups both sides call {@link #publicValue()} and
 * {@link #sharedSecret(byte[])}. For KEMs (ML-KEM) the initiator sends publicValue() (the encapsulation key),
 * the responder calls {@link #respond(byte[])} which returns its ciphertext and fixes the secret, and the
 * initiator then calls sharedSecret(ciphertext).
 */
public interface KeyExchange {
    /**
     * A fresh exchange with a new ephemeral key. Peer KE data is validated (exact length, range / on-curve checks,
     * non-zero secret) and rejected with a GeneralSecurityException saying why.
     */
    static KeyExchange generate(Algorithms.Group group) {
        return switch (group) {
            case MODP_2048, MODP_3072, MODP_4096 -> ModpKeyExchange.generate(group);
            case ECP_256, ECP_384, ECP_521 -> EcpKeyExchange.generate(group);
            case CURVE25519, CURVE448 -> MontgomeryKeyExchange.generate(group);
            case ML_KEM_768, ML_KEM_1024 -> MlKemKeyExchange.generate(group);
        };
    }

    Algorithms.Group group();

    /** The KE payload data this side sends first (DH public value or KEM encapsulation key). */
    byte[] publicValue();

    /** Responder side: consumes the peer's KE data and returns the KE data to send back. */
    byte[] respond(byte[] peerData) throws GeneralSecurityException;

    /** The shared secret from the peer's KE data (initiator), or after respond() (responder: argument ignored). */
    byte[] sharedSecret(byte[] peerData) throws GeneralSecurityException;
}
