package dev.strait.gateway.ike.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.util.BigIntegers;

/**
 * NIST ECP groups 19/20/21 (RFC 5903) with BouncyCastle's specialised curves (about 3x faster than the JCA here).
 * KE data is x || y, each coordinate fixed-length, without the SEC1 0x04 prefix; the shared secret is x alone.
 */
final class EcpKeyExchange extends DhKeyExchange {
    private static final X9ECParameters P256 = CustomNamedCurves.getByName("secp256r1");
    private static final X9ECParameters P384 = CustomNamedCurves.getByName("secp384r1");
    private static final X9ECParameters P521 = CustomNamedCurves.getByName("secp521r1");

    private final X9ECParameters curve;
    private final int coordinateLength;
    private final BigInteger privateKey;

    private EcpKeyExchange(Algorithms.Group group, X9ECParameters curve, BigInteger privateKey) {
        super(group, publicPoint(curve, privateKey));
        this.curve = curve;
        this.coordinateLength = (curve.getCurve().getFieldSize() + 7) / 8;
        this.privateKey = privateKey;
    }

    private static byte[] publicPoint(X9ECParameters curve, BigInteger privateKey) {
        ECPoint q = new FixedPointCombMultiplier().multiply(curve.getG(), privateKey).normalize();
        return Bytes.concat(q.getAffineXCoord().getEncoded(), q.getAffineYCoord().getEncoded());
    }

    static EcpKeyExchange generate(Algorithms.Group group) {
        X9ECParameters curve = curve(group);
        BigInteger d = BigIntegers.createRandomInRange(BigInteger.ONE, curve.getN().subtract(BigInteger.ONE), RANDOM);
        return new EcpKeyExchange(group, curve, d);
    }

    /** Deterministic construction for known-answer tests only. */
    static EcpKeyExchange fromPrivate(Algorithms.Group group, byte[] privateKey) {
        X9ECParameters curve = curve(group);
        BigInteger d = new BigInteger(1, privateKey);
        if (d.signum() <= 0 || d.compareTo(curve.getN()) >= 0) {
            throw new IllegalArgumentException("private key out of range");
        }
        return new EcpKeyExchange(group, curve, d);
    }

    private static X9ECParameters curve(Algorithms.Group group) {
        return switch (group) {
            case ECP_256 -> P256;
            case ECP_384 -> P384;
            case ECP_521 -> P521;
            default -> throw new IllegalArgumentException(group + " is not an ECP group");
        };
    }

    @Override
    byte[] agree(byte[] peerData) throws GeneralSecurityException {
        BigInteger x = new BigInteger(1, Arrays.copyOfRange(peerData, 0, coordinateLength));
        BigInteger y = new BigInteger(1, Arrays.copyOfRange(peerData, coordinateLength, peerData.length));
        BigInteger p = curve.getCurve().getField().getCharacteristic();
        if (x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
            throw new GeneralSecurityException(group() + ": peer point coordinate is not below the field prime");
        }
        ECPoint peer;
        try {
            // validatePoint checks the curve equation (the cofactor of these curves is 1, so that is enough)
            peer = curve.getCurve().validatePoint(x, y);
        } catch (IllegalArgumentException e) {
            throw new GeneralSecurityException(group() + ": peer point is not on the curve");
        }
        ECPoint shared = peer.multiply(privateKey).normalize();
        if (shared.isInfinity()) {
            throw new GeneralSecurityException(group() + ": shared point is the point at infinity");
        }
        return shared.getAffineXCoord().getEncoded();
    }
}
