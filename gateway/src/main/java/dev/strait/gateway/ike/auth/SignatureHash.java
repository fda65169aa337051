package dev.strait.gateway.ike.auth;

import dev.strait.gateway.ike.message.HashAlgorithmId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Hash algorithms of the SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 section 4, IANA "IKEv2 Hash Algorithms").
 * SHA-1 exists only so that a peer's announcement can be parsed; we never offer or accept it.
 */
public enum SignatureHash {
    SHA1(HashAlgorithmId.SHA1, 20),
    SHA2_256(HashAlgorithmId.SHA2_256, 32),
    SHA2_384(HashAlgorithmId.SHA2_384, 48),
    SHA2_512(HashAlgorithmId.SHA2_512, 64),
    /** RFC 8420: EdDSA signs the message itself. */
    IDENTITY(HashAlgorithmId.IDENTITY, 0);

    /** What we announce: every hash we accept, strongest first. */
    public static final List<SignatureHash> SUPPORTED = List.of(SHA2_512, SHA2_384, SHA2_256, IDENTITY);

    private final int id;
    private final int length;

    SignatureHash(int id, int length) {
        this.id = id;
        this.length = length;
    }

    public int id() {
        return id;
    }

    /** Digest length in bytes (0 for identity); also the PSS salt length we use. */
    public int length() {
        return length;
    }

    /** Notification data: one 2-byte hash ID after another. */
    public static byte[] encodeNotify(Collection<SignatureHash> hashes) {
        byte[] out = new byte[hashes.size() * 2];
        int i = 0;
        for (SignatureHash h : hashes) {
            out[i++] = (byte) (h.id >>> 8);
            out[i++] = (byte) h.id;
        }
        return out;
    }

    /**
     * The hashes a peer announced that we know; unknown IDs are skipped (RFC 7427 lets the list grow), SHA-1 is kept
     * so that callers can log it, but {@link SignatureScheme#choose} never uses it.
     */
    public static Set<SignatureHash> parseNotify(byte[] data) {
        if (data == null || data.length % 2 != 0) {
            throw new IllegalArgumentException("SIGNATURE_HASH_ALGORITHMS data must be a list of 2-byte IDs, got "
                    + (data == null ? "none" : data.length + " bytes"));
        }
        Set<SignatureHash> out = EnumSet.noneOf(SignatureHash.class);
        for (int i = 0; i < data.length; i += 2) {
            int id = (data[i] & 0xff) << 8 | data[i + 1] & 0xff;
            for (SignatureHash h : values()) {
                if (h.id == id) {
                    out.add(h);
                }
            }
        }
        return out;
    }

    static List<SignatureHash> strongestFirst(Set<SignatureHash> set) {
        List<SignatureHash> out = new ArrayList<>();
        for (SignatureHash h : List.of(SHA2_512, SHA2_384, SHA2_256)) {
            if (set.contains(h)) {
                out.add(h);
            }
        }
        return out;
    }
}
