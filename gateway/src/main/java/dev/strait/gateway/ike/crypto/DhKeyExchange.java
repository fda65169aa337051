package dev.strait.gateway.ike.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/** Diffie-Hellman style exchanges: both sides send a public value; respond() agrees and returns our own value. */
abstract sealed class DhKeyExchange implements KeyExchange permits ModpKeyExchange, EcpKeyExchange,
        MontgomeryKeyExchange {
    static final SecureRandom RANDOM = new SecureRandom();

    private final Algorithms.Group group;
    private final byte[] publicValue;
    private byte[] secret;

    DhKeyExchange(Algorithms.Group group, byte[] publicValue) {
        this.group = group;
        this.publicValue = publicValue;
    }

    @Override
    public final Algorithms.Group group() {
        return group;
    }

    @Override
    public final byte[] publicValue() {
        return publicValue.clone();
    }

    @Override
    public final synchronized byte[] respond(byte[] peerData) throws GeneralSecurityException {
        secret = agree(checkedPeer(peerData));
        return publicValue();
    }

    /** The first call fixes the secret; later calls return it again. */
    @Override
    public final synchronized byte[] sharedSecret(byte[] peerData) throws GeneralSecurityException {
        if (secret == null) {
            secret = agree(checkedPeer(peerData));
        }
        return secret.clone();
    }

    private byte[] checkedPeer(byte[] peerData) throws GeneralSecurityException {
        if (peerData == null) {
            throw new GeneralSecurityException(group + ": missing peer key exchange data");
        }
        int expected = publicValue.length; // the group fixes the length of both sides' values
        if (peerData.length != expected) {
            throw new GeneralSecurityException(group + ": peer key exchange data must be " + expected + " bytes, got "
                    + peerData.length);
        }
        return peerData;
    }

    /** The shared secret in its fixed-length IKE form; peerData has the right length already. */
    abstract byte[] agree(byte[] peerData) throws GeneralSecurityException;

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + group + "]";
    }
}
