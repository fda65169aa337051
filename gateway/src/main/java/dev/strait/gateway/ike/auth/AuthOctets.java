package dev.strait.gateway.ike.auth;

import dev.strait.gateway.ike.crypto.PrfFunction;
import dev.strait.gateway.ike.message.WireBytes;

/**
 * The octets an AUTH payload covers, for every method (RFC 7296 section 2.15):
 * RealMessage | Nonce(peer) | prf(SK_p, RestOfIDPayload) [| IntAuth (RFC 9242 section 3.3.2)].
 */
public final class AuthOctets {
    private AuthOctets() {
    }

    /** The octets of one side: its first message, the other side's nonce, its SK_p and its ID. */
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
        WireBytes.putU32(out, intAuthI.length + intAuthR.length, ikeAuthMessageId);
        return out;
    }
}
