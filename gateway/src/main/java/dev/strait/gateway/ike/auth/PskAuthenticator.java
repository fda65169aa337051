package dev.strait.gateway.ike.auth;

import dev.strait.gateway.ike.message.WireBytes;
import dev.strait.gateway.ike.crypto.PrfFunction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Shared-key message integrity code (RFC 7296 section 2.15):
 * AUTH = prf(prf(PSK, "Key Pad for IKEv2"), RealMessage | Nonce(peer) | prf(SK_p, RestOfIDPayload)).
 */
public final class PskAuthenticator {
    private static final byte[] KEY_PAD = "Key Pad for IKEv2".getBytes(StandardCharsets.US_ASCII);

    private PskAuthenticator() {
    }

    /** The octets both AUTH methods sign: this side's first message, the peer's nonce, and the MACed ID. */
    public static byte[] signedOctets(PrfFunction prf, byte[] ownFirstMessage, byte[] peerNonce, byte[] skP, Identity ownId) {
        return signedOctets(prf, ownFirstMessage, peerNonce, skP, ownId, new byte[0]);
    }

    /**
     * With IKE_INTERMEDIATE exchanges (RFC 9242 section 3.3.2) the octets end with
     * IntAuth = IntAuth_iN | IntAuth_rN | IKE_AUTH_MID; an empty intAuth gives the RFC 7296 octets.
     */
    public static byte[] signedOctets(PrfFunction prf, byte[] ownFirstMessage, byte[] peerNonce, byte[] skP, Identity ownId,
            byte[] intAuth) {
        byte[] macedId = prf.compute(skP, ownId.restOfIdPayload());
        byte[] out = new byte[ownFirstMessage.length + peerNonce.length + macedId.length + intAuth.length];
        System.arraycopy(ownFirstMessage, 0, out, 0, ownFirstMessage.length);
        System.arraycopy(peerNonce, 0, out, ownFirstMessage.length, peerNonce.length);
        System.arraycopy(macedId, 0, out, ownFirstMessage.length + peerNonce.length, macedId.length);
        System.arraycopy(intAuth, 0, out, ownFirstMessage.length + peerNonce.length + macedId.length, intAuth.length);
        return out;
    }

    /** IntAuth for the AUTH octets (RFC 9242 section 3.3.2): the last initiator and responder chain values and the IKE_AUTH message ID. */
    public static byte[] intAuth(byte[] intAuthI, byte[] intAuthR, int ikeAuthMessageId) {
        byte[] out = new byte[intAuthI.length + intAuthR.length + 4];
        System.arraycopy(intAuthI, 0, out, 0, intAuthI.length);
        System.arraycopy(intAuthR, 0, out, intAuthI.length, intAuthR.length);
        int o = intAuthI.length + intAuthR.length;
        WireBytes.putU32(out, o, ikeAuthMessageId);
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
