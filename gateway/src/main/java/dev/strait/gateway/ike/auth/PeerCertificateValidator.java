package dev.strait.gateway.ike.auth;

import dev.strait.gateway.ike.message.Payload;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * Validates the peer's CERT payloads (RFC 7296 section 3.6, encoding 4 = X.509 Certificate - Signature) against our
 * trust anchors: builds the path through the intermediates the peer sent, lets the JDK's PKIX validator check
 * signatures, validity dates (at the injected clock), basic constraints and CA key usage, checks our CRLs, that the
 * end entity may sign (keyUsage digitalSignature when the extension is present), and that the peer's ID payload is
 * bound to the certificate (subject DN or a subjectAltName). Thread-safe.
 */
public final class PeerCertificateValidator {
    /** Longest chain we follow (end entity + intermediates); more is a misconfiguration or an attack. */
    static final int MAX_PATH_LENGTH = 8;

    private final List<X509Certificate> trustAnchors;
    private final List<X509CRL> crls;
    private final Clock clock;

    /** The end entity that passed every check, and its key for {@link SignatureAuthenticator#verify}. */
    public record ValidatedPeer(X509Certificate certificate, List<X509Certificate> path) {
        public PublicKey publicKey() {
            return certificate.getPublicKey();
        }
    }

    public PeerCertificateValidator(List<X509Certificate> trustAnchors, List<X509CRL> crls, Clock clock) {
        if (trustAnchors.isEmpty()) {
            throw new IllegalArgumentException("no trusted CA certificates configured");
        }
        this.trustAnchors = List.copyOf(trustAnchors);
        this.crls = List.copyOf(crls);
        this.clock = clock;
    }

    /** From the peer's CERT payloads in the order received (the first X.509 one is the end entity). */
    public ValidatedPeer validatePayloads(List<Payload.Cert> certPayloads, Identity peerId) throws AuthenticationException {
        List<byte[]> der = new ArrayList<>();
        for (Payload.Cert c : certPayloads) {
            if (c.encoding() == Payload.CertReq.ENCODING_X509_SIGNATURE) {
                der.add(c.data());
            }
        }
        return validate(der, peerId);
    }

    /** {@code certificates}: DER, end entity first, then any intermediates in any order. */
    public ValidatedPeer validate(List<byte[]> certificates, Identity peerId) throws AuthenticationException {
        if (certificates.isEmpty()) {
            throw new AuthenticationException(AuthFailure.MALFORMED, "peer sent no X.509 certificate");
        }
        if (certificates.size() > MAX_PATH_LENGTH * 2) {
            throw new AuthenticationException(AuthFailure.MALFORMED, "peer sent " + certificates.size() + " certificates");
        }
        List<X509Certificate> certs = new ArrayList<>();
        CertificateFactory cf;
        try {
            cf = CertificateFactory.getInstance("X.509");
            for (byte[] d : certificates) {
                certs.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(d)));
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new AuthenticationException(AuthFailure.MALFORMED, "peer certificate is not valid DER X.509");
        }
        X509Certificate ee = certs.getFirst();
        String subject = ee.getSubjectX500Principal().getName();
        // trust first, so that a stranger's certificate counts as untrusted_ca whatever else is wrong with it
        List<X509Certificate> path = buildPath(ee, certs.subList(1, certs.size()));
        validatePkix(cf, path);
        checkRevocation(path);
        checkKeyUsage(ee);
        try {
            KeyType.of(ee.getPublicKey());
        } catch (IllegalArgumentException e) {
            throw new AuthenticationException(AuthFailure.UNSUPPORTED_ALGORITHM, subject + ": " + e.getMessage());
        }
        checkIdentity(ee, peerId);
        return new ValidatedPeer(ee, List.copyOf(path));
    }

    // End entity, then issuer by issuer through the peer's intermediates until a trust anchor issued the last one.
    private List<X509Certificate> buildPath(X509Certificate ee, List<X509Certificate> intermediates) throws AuthenticationException {
        List<X509Certificate> path = new ArrayList<>();
        path.add(ee);
        if (isAnchor(ee)) { // peer certificate pinned directly
            return path;
        }
        X509Certificate current = ee;
        Set<X509Certificate> used = new HashSet<>();
        while (path.size() <= MAX_PATH_LENGTH) {
            if (issuedByAnchor(current)) {
                return path;
            }
            X509Certificate next = issuerAmong(current, intermediates, used);
            if (next == null) {
                throw new AuthenticationException(AuthFailure.UNTRUSTED_CA, "no trusted CA issued "
                        + ee.getSubjectX500Principal().getName() + " (chain ends at issuer "
                        + current.getIssuerX500Principal().getName() + ")");
            }
            used.add(next);
            path.add(next);
            current = next;
        }
        throw new AuthenticationException(AuthFailure.UNTRUSTED_CA, "certificate chain longer than " + MAX_PATH_LENGTH);
    }

    private boolean isAnchor(X509Certificate cert) {
        return trustAnchors.stream().anyMatch(cert::equals);
    }

    private boolean issuedByAnchor(X509Certificate cert) {
        for (X509Certificate ca : trustAnchors) {
            if (ca.getSubjectX500Principal().equals(cert.getIssuerX500Principal()) && signedBy(cert, ca.getPublicKey())) {
                return true;
            }
        }
        return false;
    }

    // Prefer a candidate whose key verifies the signature; else the first with the right name (PKIX then reports it).
    private static X509Certificate issuerAmong(X509Certificate cert, List<X509Certificate> candidates, Set<X509Certificate> used) {
        X509Certificate byName = null;
        for (X509Certificate c : candidates) {
            if (used.contains(c) || c.equals(cert) || !c.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
                continue;
            }
            if (signedBy(cert, c.getPublicKey())) {
                return c;
            }
            if (byName == null) {
                byName = c;
            }
        }
        return byName;
    }

    private static boolean signedBy(X509Certificate cert, PublicKey key) {
        try {
            cert.verify(key);
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private void validatePkix(CertificateFactory cf, List<X509Certificate> path) throws AuthenticationException {
        if (path.size() == 1 && isAnchor(path.getFirst())) {
            checkDates(path.getFirst());
            return;
        }
        try {
            CertPath certPath = cf.generateCertPath(path);
            Set<TrustAnchor> anchors = new HashSet<>();
            for (X509Certificate ca : trustAnchors) {
                anchors.add(new TrustAnchor(ca, null));
            }
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false); // our own CRL check below: only the CRLs configured, no fetching
            params.setDate(Date.from(clock.instant()));
            CertPathValidator.getInstance("PKIX").validate(certPath, params);
        } catch (CertPathValidatorException e) {
            throw new AuthenticationException(reasonOf(e), describe(e, path));
        } catch (GeneralSecurityException e) {
            throw new AuthenticationException(AuthFailure.UNTRUSTED_CA, "path validation failed: " + e.getMessage());
        }
    }

    private void checkDates(X509Certificate cert) throws AuthenticationException {
        try {
            cert.checkValidity(Date.from(clock.instant()));
        } catch (CertificateExpiredException e) {
            throw new AuthenticationException(AuthFailure.EXPIRED, cert.getSubjectX500Principal().getName()
                    + " expired at " + cert.getNotAfter().toInstant());
        } catch (CertificateNotYetValidException e) {
            throw new AuthenticationException(AuthFailure.NOT_YET_VALID, cert.getSubjectX500Principal().getName()
                    + " is valid from " + cert.getNotBefore().toInstant());
        }
    }

    private static AuthFailure reasonOf(CertPathValidatorException e) {
        var r = e.getReason();
        if (r == CertPathValidatorException.BasicReason.EXPIRED) {
            return AuthFailure.EXPIRED;
        }
        if (r == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return AuthFailure.NOT_YET_VALID;
        }
        if (r == CertPathValidatorException.BasicReason.INVALID_SIGNATURE) {
            return AuthFailure.BAD_SIGNATURE;
        }
        if (r == CertPathValidatorException.BasicReason.REVOKED) {
            return AuthFailure.REVOKED;
        }
        if (r == PKIXReason.INVALID_KEY_USAGE) {
            return AuthFailure.KEY_USAGE;
        }
        if (r == CertPathValidatorException.BasicReason.ALGORITHM_CONSTRAINED) {
            return AuthFailure.UNSUPPORTED_ALGORITHM;
        }
        return AuthFailure.UNTRUSTED_CA;
    }

    private static String describe(CertPathValidatorException e, List<X509Certificate> path) {
        int i = e.getIndex();
        String who = i >= 0 && i < path.size() ? path.get(i).getSubjectX500Principal().getName() : "certificate path";
        X509Certificate c = i >= 0 && i < path.size() ? path.get(i) : null;
        var r = e.getReason();
        if (c != null && r == CertPathValidatorException.BasicReason.EXPIRED) {
            return who + " expired at " + c.getNotAfter().toInstant();
        }
        if (c != null && r == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return who + " is valid from " + c.getNotBefore().toInstant();
        }
        return who + ": " + e.getMessage();
    }

    // Every certificate in the path whose issuer published one of our CRLs (verified with the issuer's key).
    private void checkRevocation(List<X509Certificate> path) throws AuthenticationException {
        if (crls.isEmpty()) {
            return;
        }
        for (int i = 0; i < path.size(); i++) {
            X509Certificate cert = path.get(i);
            PublicKey issuerKey = issuerKey(path, i);
            for (X509CRL crl : crls) {
                if (!crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal()) || issuerKey == null) {
                    continue;
                }
                try {
                    crl.verify(issuerKey);
                } catch (GeneralSecurityException | RuntimeException e) {
                    continue; // a CRL we cannot trust proves nothing
                }
                if (crl.isRevoked(cert)) {
                    var entry = crl.getRevokedCertificate(cert);
                    throw new AuthenticationException(AuthFailure.REVOKED, cert.getSubjectX500Principal().getName()
                            + " (serial " + cert.getSerialNumber().toString(16) + ") revoked at "
                            + (entry == null ? "?" : entry.getRevocationDate().toInstant()));
                }
            }
        }
    }

    private PublicKey issuerKey(List<X509Certificate> path, int i) {
        if (i + 1 < path.size()) {
            return path.get(i + 1).getPublicKey();
        }
        for (X509Certificate ca : trustAnchors) {
            if (ca.getSubjectX500Principal().equals(path.get(i).getIssuerX500Principal()) && signedBy(path.get(i), ca.getPublicKey())) {
                return ca.getPublicKey();
            }
        }
        return null;
    }

    private static void checkKeyUsage(X509Certificate ee) throws AuthenticationException {
        boolean[] ku = ee.getKeyUsage();
        if (ku != null && (ku.length == 0 || !ku[0])) {
            throw new AuthenticationException(AuthFailure.KEY_USAGE, ee.getSubjectX500Principal().getName()
                    + " has a keyUsage extension without digitalSignature");
        }
    }

    /** The peer's IDi/IDr must be the subject DN or one of the subjectAltNames of the matching kind. */
    static void checkIdentity(X509Certificate ee, Identity id) throws AuthenticationException {
        if (id == null) {
            throw new AuthenticationException(AuthFailure.ID_MISMATCH, "peer sent no identity");
        }
        boolean ok = switch (id.idType()) {
            case Payload.Identification.ID_DER_ASN1_DN -> {
                try {
                    yield sameDnInOrder(X500Name.getInstance(ee.getSubjectX500Principal().getEncoded()), X500Name.getInstance(id.data()));
                } catch (RuntimeException e) {
                    yield false;
                }
            }
            case Payload.Identification.ID_FQDN -> hasAltName(ee, 2, new String(id.data(), StandardCharsets.US_ASCII));
            case Payload.Identification.ID_RFC822_ADDR -> hasAltName(ee, 1, new String(id.data(), StandardCharsets.US_ASCII));
            case Payload.Identification.ID_IPV4_ADDR, Payload.Identification.ID_IPV6_ADDR -> hasIpAltName(ee, id.data());
            default -> false;
        };
        if (!ok) {
            throw new AuthenticationException(AuthFailure.ID_MISMATCH, "identity '" + id + "' is neither the subject nor a "
                    + "subjectAltName of " + ee.getSubjectX500Principal().getName());
        }
    }

    // RDN by RDN in the written order, as strongSwan compares DNs (BouncyCastle's equals would also accept the reverse).
    private static boolean sameDnInOrder(X500Name a, X500Name b) {
        RDN[] x = a.getRDNs();
        RDN[] y = b.getRDNs();
        if (x.length != y.length) {
            return false;
        }
        for (int i = 0; i < x.length; i++) {
            if (!IETFUtils.rDNAreEqual(x[i], y[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasAltName(X509Certificate ee, int type, String value) {
        for (List<?> san : altNames(ee)) {
            if (((Integer) san.get(0)) == type && san.get(1) instanceof String s && s.equalsIgnoreCase(value)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasIpAltName(X509Certificate ee, byte[] address) {
        for (List<?> san : altNames(ee)) {
            if (((Integer) san.get(0)) == 7 && san.get(1) instanceof String s) {
                try {
                    if (Arrays.equals(InetAddress.ofLiteral(s).getAddress(), address)) {
                        return true;
                    }
                } catch (IllegalArgumentException e) {
                    // not an address literal
                }
            }
        }
        return false;
    }

    private static Collection<List<?>> altNames(X509Certificate ee) {
        try {
            Collection<List<?>> names = ee.getSubjectAlternativeNames();
            return names == null ? List.of() : names;
        } catch (CertificateParsingException e) {
            return List.of();
        }
    }
}
