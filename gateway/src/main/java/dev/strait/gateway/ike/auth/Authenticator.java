package dev.strait.gateway.ike.auth;

import dev.strait.gateway.ike.crypto.PrfFunction;
import dev.strait.gateway.ike.message.Payload;
import java.util.List;
import java.util.Set;

/**
 * How one tunnel authenticates in IKE_AUTH (RFC 7296 section 2.15), whatever the method: a pre-shared key
 * ({@link PskAuthenticator}) or certificates and signatures ({@link CertificateAuthentication}). The octets both sides
 * sign come from {@link AuthOctets}.
 */
public interface Authenticator {
    /** Our CERT payloads (none with a PSK) and the AUTH payload that follows them. */
    record Own(List<Payload.Cert> certificates, Payload.Auth auth) {
    }

    /** Why the peer's AUTH was refused: the reason for metrics and status, and a message for the log and the status. */
    record Refusal(AuthFailure reason, String message) {
    }

    /** Notifies for our IKE_SA_INIT: SIGNATURE_HASH_ALGORITHMS with certificates (RFC 7427 section 4), none with a PSK. */
    List<Payload> initNotifies();

    /** CERTREQ payloads for our IKE_AUTH request; none with a PSK. */
    List<Payload> certRequests();

    /**
     * Our AUTH over octets; peerHashes and peerCertReqs are what the peer announced (used with certificates).
     *
     * @throws AuthenticationException when we cannot authenticate in a way the peer accepts
     */
    Own own(PrfFunction prf, Set<SignatureHash> peerHashes, List<Payload.CertReq> peerCertReqs, byte[] octets)
            throws AuthenticationException;

    /** Checks the peer's AUTH over its octets: null when it verifies, else why not. */
    Refusal verify(PrfFunction prf, List<Payload.Cert> peerCerts, Identity peerId, Payload.Auth auth, byte[] octets);
}
