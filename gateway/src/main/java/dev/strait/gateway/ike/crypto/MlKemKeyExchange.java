package dev.strait.gateway.ike.crypto;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import javax.crypto.KEM;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * ML-KEM-768/1024 (FIPS 203) through the JDK's {@code javax.crypto.KEM} (faster than BC here). The initiator sends
 * the raw encapsulation key, the responder encapsulates against it and answers with the ciphertext; both end up with
 * the 32-byte shared key. BC's ASN.1 classes only wrap/unwrap the raw key in the X.509 form the JDK speaks.
 */
final class MlKemKeyExchange implements KeyExchange {
    private static final int Q = 3329;

    private final Algorithms.Group group;
    private final String jcaName;
    private final ASN1ObjectIdentifier oid;
    private final int rank;
    private final int encapsulationKeyLength;
    private final int ciphertextLength;
    private KeyPair keyPair;
    private byte[] secret;

    private MlKemKeyExchange(Algorithms.Group group) {
        this.group = group;
        switch (group) {
            case ML_KEM_768 -> {
                jcaName = "ML-KEM-768";
                oid = NISTObjectIdentifiers.id_alg_ml_kem_768;
                rank = 3;
                ciphertextLength = 1088;
            }
            case ML_KEM_1024 -> {
                jcaName = "ML-KEM-1024";
                oid = NISTObjectIdentifiers.id_alg_ml_kem_1024;
                rank = 4;
                ciphertextLength = 1568;
            }
            default -> throw new IllegalArgumentException(group + " is not an ML-KEM group");
        }
        encapsulationKeyLength = 384 * rank + 32;
    }

    /** The key pair is made on the first publicValue() call, so a responder never pays for one. */
    static MlKemKeyExchange generate(Algorithms.Group group) {
        return new MlKemKeyExchange(group);
    }

    @Override
    public Algorithms.Group group() {
        return group;
    }

    @Override
    public synchronized byte[] publicValue() {
        if (keyPair == null) {
            try {
                KeyPairGenerator generator = KeyPairGenerator.getInstance(jcaName);
                keyPair = generator.generateKeyPair();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(jcaName + " is not available in this JVM", e);
            }
        }
        return SubjectPublicKeyInfo.getInstance(keyPair.getPublic().getEncoded()).getPublicKeyData().getBytes();
    }

    @Override
    public synchronized byte[] respond(byte[] peerData) throws GeneralSecurityException {
        checkEncapsulationKey(peerData);
        PublicKey peerKey;
        try {
            byte[] spki = new SubjectPublicKeyInfo(new AlgorithmIdentifier(oid), peerData).getEncoded();
            peerKey = KeyFactory.getInstance("ML-KEM").generatePublic(new X509EncodedKeySpec(spki));
        } catch (IOException e) {
            throw new GeneralSecurityException(group + ": cannot encode the encapsulation key", e);
        }
        KEM.Encapsulated encapsulated = KEM.getInstance("ML-KEM").newEncapsulator(peerKey).encapsulate();
        secret = encapsulated.key().getEncoded();
        return encapsulated.encapsulation();
    }

    /** Initiator: decapsulates the responder's ciphertext. Responder: returns the secret fixed by respond(). */
    @Override
    public synchronized byte[] sharedSecret(byte[] peerData) throws GeneralSecurityException {
        if (secret == null) {
            if (keyPair == null) {
                throw new GeneralSecurityException(group + ": neither publicValue() nor respond() was called");
            }
            if (peerData == null || peerData.length != ciphertextLength) {
                throw new GeneralSecurityException(group + ": ciphertext must be " + ciphertextLength + " bytes, got "
                        + (peerData == null ? "none" : peerData.length));
            }
            secret = KEM.getInstance("ML-KEM").newDecapsulator(keyPair.getPrivate()).decapsulate(peerData)
                    .getEncoded();
        }
        return secret.clone();
    }

    /** FIPS 203 section 7.2 input checks: exact length, every 12-bit coefficient below q. */
    private void checkEncapsulationKey(byte[] key) throws GeneralSecurityException {
        if (key == null || key.length != encapsulationKeyLength) {
            throw new GeneralSecurityException(group + ": encapsulation key must be " + encapsulationKeyLength
                    + " bytes, got " + (key == null ? "none" : key.length));
        }
        for (int i = 0; i < 384 * rank; i += 3) {
            int b0 = key[i] & 0xff;
            int b1 = key[i + 1] & 0xff;
            int b2 = key[i + 2] & 0xff;
            if ((b0 | (b1 & 0x0f) << 8) >= Q || (b1 >> 4 | b2 << 4) >= Q) {
                throw new GeneralSecurityException(group + ": encapsulation key fails the modulus check");
            }
        }
    }

    @Override
    public String toString() {
        return "MlKemKeyExchange[" + group + "]";
    }
}
