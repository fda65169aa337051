package dev.strait.gateway.ike.auth;

import dev.strait.gateway.ike.crypto.PrfFunction;
import dev.strait.gateway.ike.message.NotifyType;
import dev.strait.gateway.ike.message.Payload;
import java.time.Clock;
import java.util.List;
import java.util.Set;

/**
 * What the IKE engine calls for certificate authentication of one tunnel, in exchange order. One instance per tunnel
 * config (built from {@link CertificateCredentials}); thread-safe.
 *
 * <pre>
 * IKE_SA_INIT  both: send {@link #signatureHashAlgorithmsNotify()}; keep the peer's via {@link SignatureHash#parseNotify}
 * IKE_AUTH     initiator request / responder response:
 *                CERTREQ: {@link #certReq()} (initiator in its request, responder may add it to IKE_SA_INIT)
 *                {@link #ownAuth}(peerHashes, peer's CERTREQs, octets) -> CERT payloads + AUTH payload
 *              on receipt: {@link #verifyPeer}(CERT payloads, peer's ID, AUTH payload, peer's octets)
 * octets       {@link AuthOctets#signedOctets}: ours with our first message, the peer's nonce, SK_pi/SK_pr and our
 *              ID; the peer's with its first message, our nonce, its SK_p and its ID
 * </pre>
 */
public final class CertificateAuthentication implements Authenticator {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CertificateAuthentication.class);

    private final CertificateCredentials credentials;
    private final SignatureAuthenticator signer;
    private final PeerCertificateValidator validator;

    /** Our CERT payloads and the AUTH payload that follows them. */
    public record OwnAuth(List<Payload.Cert> certificates, Payload.Auth auth, SignatureScheme scheme) {
    }

    public CertificateAuthentication(CertificateCredentials credentials, Clock clock, SignatureScheme.RsaPadding rsaPadding) {
        this.credentials = credentials;
        this.signer = credentials.authenticator(rsaPadding);
        this.validator = credentials.peerValidator(clock);
    }

    public CertificateCredentials credentials() {
        return credentials;
    }

    /** SIGNATURE_HASH_ALGORITHMS (RFC 7427 section 4) for IKE_SA_INIT: every hash we accept. */
    public Payload.Notify signatureHashAlgorithmsNotify() {
        return Payload.Notify.of(NotifyType.SIGNATURE_HASH_ALGORITHMS, SignatureHash.encodeNotify(SignatureHash.SUPPORTED));
    }

    public Payload.CertReq certReq() {
        return CertificateRequests.certReq(credentials.trustAnchors());
    }

    /**
     * Our CERT payloads (chain as the peer's CERTREQ asks) and AUTH (method 14) over {@code ownOctets}.
     *
     * @throws AuthenticationException UNSUPPORTED_ALGORITHM when the peer announced no hash our key can sign with
     *     (or sent no SIGNATURE_HASH_ALGORITHMS: the legacy methods 1 and 9-11 are not implemented)
     */
    public OwnAuth ownAuth(Set<SignatureHash> peerHashes, List<Payload.CertReq> peerCertReqs, byte[] ownOctets)
            throws AuthenticationException {
        SignatureScheme scheme = signer.choose(peerHashes).orElseThrow(() -> new AuthenticationException(
                AuthFailure.UNSUPPORTED_ALGORITHM, "peer announced no signature hash usable with our " + signer.keyType()
                        + " key (announced: " + peerHashes + ")"));
        List<Payload.Cert> certs = CertificateRequests.certPayloads(credentials.chain(),
                CertificateRequests.requestedAuthorities(peerCertReqs));
        return new OwnAuth(certs, new Payload.Auth(Payload.Auth.METHOD_DIGITAL_SIGNATURE,
                signer.sign(scheme, ownOctets)), scheme);
    }

    /**
     * Validates the peer's certificate chain and identity, then its AUTH over {@code peerOctets}. On success returns
     * the validated certificate (subject/expiry for status and logs).
     */
    public PeerCertificateValidator.ValidatedPeer verifyPeer(List<Payload.Cert> peerCerts, Identity peerId, Payload.Auth auth,
            byte[] peerOctets) throws AuthenticationException {
        if (auth.method() != Payload.Auth.METHOD_DIGITAL_SIGNATURE) {
            throw new AuthenticationException(AuthFailure.UNSUPPORTED_ALGORITHM, "peer used AUTH method " + auth.method()
                    + "; only Digital Signature (14) is supported with certificates");
        }
        PeerCertificateValidator.ValidatedPeer peer = validator.validatePayloads(peerCerts, peerId);
        SignatureAuthenticator.verify(peerOctets, auth.data(), peer.publicKey());
        return peer;
    }

    @Override
    public List<Payload> initNotifies() {
        return List.of(signatureHashAlgorithmsNotify());
    }

    @Override
    public List<Payload> certRequests() {
        return List.of(certReq());
    }

    @Override
    public Own own(PrfFunction prf, Set<SignatureHash> peerHashes, List<Payload.CertReq> peerCertReqs, byte[] octets)
            throws AuthenticationException {
        OwnAuth own = ownAuth(peerHashes, peerCertReqs, octets);
        return new Own(own.certificates(), own.auth());
    }

    @Override
    public Refusal verify(PrfFunction prf, List<Payload.Cert> peerCerts, Identity peerId, Payload.Auth auth, byte[] octets) {
        try {
            var peer = verifyPeer(peerCerts, peerId, auth, octets);
            LOG.info("peer certificate {} verified (valid until {})", peer.certificate().getSubjectX500Principal().getName(),
                    peer.certificate().getNotAfter().toInstant());
            return null;
        } catch (AuthenticationException e) {
            return new Refusal(e.reason(), "peer's certificate authentication refused: " + e.getMessage());
        }
    }
}
