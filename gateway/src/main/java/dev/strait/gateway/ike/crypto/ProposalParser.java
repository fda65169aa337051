package dev.strait.gateway.ike.crypto;

/**
 * Parses proposals written in strongSwan's syntax (aes256gcm16-prfsha384-modp3072, aes256-sha256-ecp384,
 * chacha20poly1305-prfsha256-x25519, aes256gcm16-prfsha384-x25519-ke1_mlkem768). Weak algorithms (DES, 3DES,
 * Blowfish, MD5, MODP below 2048) are refused with a message that says why; SHA-1 only when legacy is allowed.
 */
public final class ProposalParser {
    private ProposalParser() {
    }

    /** @throws IllegalArgumentException with a message naming the bad token and why */
    public static IkeProposal parseIke(String text, boolean allowLegacy) {
        throw new UnsupportedOperationException("crypto: to be implemented");
    }

    /** @throws IllegalArgumentException with a message naming the bad token and why */
    public static EspProposal parseEsp(String text, boolean allowLegacy) {
        throw new UnsupportedOperationException("crypto: to be implemented");
    }
}
