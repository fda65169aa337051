package dev.strait.gateway.ike.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import javax.crypto.KeyAgreement;
import javax.crypto.interfaces.DHPublicKey;
import javax.crypto.spec.DHParameterSpec;
import javax.crypto.spec.DHPublicKeySpec;
import org.bouncycastle.crypto.agreement.DHStandardGroups;
import org.bouncycastle.crypto.params.DHParameters;

/**
 * MODP groups 14/15/16 (RFC 3526, g = 2) with the JCA. The private exponent length is given explicitly (twice the
 * group's security strength): without it the JDK picks a much longer exponent and is about 4x slower.
 */
final class ModpKeyExchange extends DhKeyExchange {
    private static final BigInteger TWO = BigInteger.TWO;

    private final DHParameterSpec params;
    private final int length;
    private final KeyPair keyPair;

    private ModpKeyExchange(Algorithms.Group group, DHParameterSpec params, KeyPair keyPair) {
        super(group, Bytes.fixedLength(((DHPublicKey) keyPair.getPublic()).getY(), length(params)));
        this.params = params;
        this.length = length(params);
        this.keyPair = keyPair;
    }

    private static int length(DHParameterSpec params) {
        return (params.getP().bitLength() + 7) / 8;
    }

    static ModpKeyExchange generate(Algorithms.Group group) {
        DHParameterSpec spec = spec(group);
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("DH");
            generator.initialize(spec, RANDOM);
            return new ModpKeyExchange(group, spec, generator.generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("DH key generation failed for " + group, e);
        }
    }

    static DHParameterSpec spec(Algorithms.Group group) {
        return switch (group) {
            case MODP_2048 -> spec(DHStandardGroups.rfc3526_2048, 256);
            case MODP_3072 -> spec(DHStandardGroups.rfc3526_3072, 256);
            case MODP_4096 -> spec(DHStandardGroups.rfc3526_4096, 304);
            default -> throw new IllegalArgumentException(group + " is not a MODP group");
        };
    }

    private static DHParameterSpec spec(DHParameters rfc3526, int exponentBits) {
        return new DHParameterSpec(rfc3526.getP(), TWO, exponentBits);
    }

    @Override
    byte[] agree(byte[] peerData) throws GeneralSecurityException {
        BigInteger p = params.getP();
        BigInteger y = new BigInteger(1, peerData);
        // 1 < y < p-1 (RFC 7296 section 5 / SP 800-56A): 0, 1 and p-1 would force a predictable secret
        if (y.compareTo(BigInteger.ONE) <= 0 || y.compareTo(p.subtract(BigInteger.ONE)) >= 0) {
            throw new GeneralSecurityException(group() + ": peer public value is out of range (must be 1 < y < p-1)");
        }
        PublicKey peer = KeyFactory.getInstance("DH").generatePublic(new DHPublicKeySpec(y, p, params.getG()));
        KeyAgreement agreement = KeyAgreement.getInstance("DH");
        agreement.init(keyPair.getPrivate());
        agreement.doPhase(peer, true);
        return Bytes.leftPad(agreement.generateSecret(), length);
    }
}
