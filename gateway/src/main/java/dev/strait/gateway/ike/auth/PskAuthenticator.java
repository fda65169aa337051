package dev.strait.gateway.ike.auth;

import dev.strait.gateway.ike.crypto.PrfFunction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Shared-key message integrity code (RFC 7296 section 2.15):
 * AUTH = prf(prf(PSK, "Key Pad for IKEv2"), RealMessage | Nonce(peer) | prf(SK_p, RestOfIDPayload)).
 */
public final class PskAuthenticator {
    public static final int AUTH_METHOD_PSK = 2;
    private static final byte[] KEY_PAD = "Key Pad for IKEv2".getBytes(StandardCharsets.US_ASCII);

    private PskAuthenticator() {
    }

    /** The octets both AUTH methods sign: this side's first message, the peer's nonce, and the MACed ID. */
    public static byte[] signedOctets(PrfFunction prf, byte[] ownFirstMessage, byte[] peerNonce, byte[] skP, Identity ownId) {
        byte[] macedId = prf.compute(skP, ownId.restOfIdPayload());
        byte[] out = new byte[ownFirstMessage.length + peerNonce.length + macedId.length];
        System.arraycopy(ownFirstMessage, 0, out, 0, ownFirstMessage.length);
        System.arraycopy(peerNonce, 0, out, ownFirstMessage.length, peerNonce.length);
        System.arraycopy(macedId, 0, out, ownFirstMessage.length + peerNonce.length, macedId.length);
        return out;
    }

    public static byte[] compute(PrfFunction prf, byte[] psk, byte[] signedOctets) {
        return prf.compute(prf.compute(psk, KEY_PAD), signedOctets);
    }

    /** Constant-time check of a received AUTH value. */
    public static boolean verify(PrfFunction prf, byte[] psk, byte[] signedOctets, byte[] received) {
        return MessageDigest.isEqual(compute(prf, psk, signedOctets), received);
    }
}
