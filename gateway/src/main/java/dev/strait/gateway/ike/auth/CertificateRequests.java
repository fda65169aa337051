package dev.strait.gateway.ike.auth;

import dev.strait.gateway.ike.message.Payload;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * CERTREQ and the choice of CERT payloads (RFC 7296 sections 3.6 and 3.7). A CA is named by the SHA-1 hash of its
 * SubjectPublicKeyInfo; SHA-1 is what the RFC mandates here (an identifier, not a signature).
 */
public final class CertificateRequests {
    public static final int SHA1_LENGTH = 20;

    private CertificateRequests() {
    }

    /** SHA-1 of the certificate's DER SubjectPublicKeyInfo. */
    public static byte[] keyHash(X509Certificate cert) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(cert.getPublicKey().getEncoded());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** CERTREQ payload data (encoding 4) naming our trust anchors. */
    public static byte[] certReqData(List<X509Certificate> trustAnchors) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(trustAnchors.size() * SHA1_LENGTH);
        for (X509Certificate ca : trustAnchors) {
            out.writeBytes(keyHash(ca));
        }
        return out.toByteArray();
    }

    public static Payload.CertReq certReq(List<X509Certificate> trustAnchors) {
        return new Payload.CertReq(Payload.CertReq.ENCODING_X509_SIGNATURE, certReqData(trustAnchors));
    }

    /** The CA key hashes of a peer's CERTREQ data; a length that is not a multiple of 20 is malformed. */
    public static List<byte[]> parseCertReqData(byte[] data) {
        if (data.length % SHA1_LENGTH != 0) {
            throw new IllegalArgumentException("CERTREQ data of " + data.length + " bytes is not a list of SHA-1 hashes");
        }
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < data.length; i += SHA1_LENGTH) {
            out.add(Arrays.copyOfRange(data, i, i + SHA1_LENGTH));
        }
        return out;
    }

    /** All CA hashes from the peer's CERTREQ payloads of encoding 4 (others are ignored, malformed ones skipped). */
    public static List<byte[]> requestedAuthorities(List<Payload.CertReq> certReqs) {
        List<byte[]> out = new ArrayList<>();
        for (Payload.CertReq r : certReqs) {
            if (r.encoding() == Payload.CertReq.ENCODING_X509_SIGNATURE && r.data().length % SHA1_LENGTH == 0) {
                out.addAll(parseCertReqData(r.data()));
            }
        }
        return out;
    }

    /**
     * Which of our certificates to send as CERT payloads: always the end entity, then intermediates up the chain; we
     * stop once the peer named the key that issued the last one sent (it has the rest), and never send self-signed
     * roots (the peer must have those already). With no CERTREQ we send the whole chain minus roots.
     */
    public static List<X509Certificate> certificatesToSend(List<X509Certificate> chain, List<byte[]> requestedAuthorities) {
        List<X509Certificate> out = new ArrayList<>();
        for (int i = 0; i < chain.size(); i++) {
            X509Certificate c = chain.get(i);
            if (i > 0 && c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                break;
            }
            out.add(c);
            if (i + 1 < chain.size() && isRequested(keyHash(chain.get(i + 1)), requestedAuthorities)) {
                break;
            }
        }
        return out;
    }

    /** CERT payloads (encoding 4, DER) for {@link #certificatesToSend}. */
    public static List<Payload.Cert> certPayloads(List<X509Certificate> chain, List<byte[]> requestedAuthorities) {
        List<Payload.Cert> out = new ArrayList<>();
        for (X509Certificate c : certificatesToSend(chain, requestedAuthorities)) {
            try {
                out.add(new Payload.Cert(Payload.CertReq.ENCODING_X509_SIGNATURE, c.getEncoded()));
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException("cannot encode our certificate " + c.getSubjectX500Principal().getName());
            }
        }
        return out;
    }

    /** Whether the peer asked for one of these trust anchors (e.g. to log that our CA is not among the requested). */
    public static boolean requestsAnyOf(List<byte[]> requestedAuthorities, List<X509Certificate> cas) {
        return cas.stream().anyMatch(ca -> isRequested(keyHash(ca), requestedAuthorities));
    }

    private static boolean isRequested(byte[] hash, List<byte[]> requested) {
        return requested.stream().anyMatch(r -> Arrays.equals(r, hash));
    }
}
