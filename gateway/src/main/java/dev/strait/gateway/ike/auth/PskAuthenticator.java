package dev.strait.gateway.ike.auth;

import dev.strait.gateway.ike.crypto.PrfFunction;
import dev.strait.gateway.ike.message.Payload;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Set;

/**
 * Shared-key message integrity code (RFC 7296 section 2.15):
 * AUTH = prf(prf(PSK, "Key Pad for IKEv2"), RealMessage | Nonce(peer) | prf(SK_p, RestOfIDPayload)).
 */
public final class PskAuthenticator implements Authenticator {
    private static final byte[] KEY_PAD = "Key Pad for IKEv2".getBytes(StandardCharsets.US_ASCII);

    private final byte[] psk;

    public PskAuthenticator(byte[] psk) {
        this.psk = psk;
    }

    @Override
    public List<Payload> initNotifies() {
        return List.of();
    }

    @Override
    public List<Payload> certRequests() {
        return List.of();
    }

    @Override
    public Own own(PrfFunction prf, Set<SignatureHash> peerHashes, List<Payload.CertReq> peerCertReqs, byte[] octets) {
        return new Own(List.of(), new Payload.Auth(Payload.Auth.METHOD_SHARED_KEY, compute(prf, psk, octets)));
    }

    @Override
    public Refusal verify(PrfFunction prf, List<Payload.Cert> peerCerts, Identity peerId, Payload.Auth auth, byte[] octets) {
        if (auth.method() != Payload.Auth.METHOD_SHARED_KEY) {
            return new Refusal(AuthFailure.AUTH_METHOD, "peer used AUTH method " + auth.method() + ", tunnel is configured for PSK");
        }
        if (!MessageDigest.isEqual(compute(prf, psk, octets), auth.data())) { // constant time
            return new Refusal(AuthFailure.PSK_MISMATCH, "peer's AUTH does not verify with our PSK (PSKs differ)");
        }
        return null;
    }

    static byte[] compute(PrfFunction prf, byte[] psk, byte[] signedOctets) {
        return prf.compute(prf.compute(psk, KEY_PAD), signedOctets);
    }
}
