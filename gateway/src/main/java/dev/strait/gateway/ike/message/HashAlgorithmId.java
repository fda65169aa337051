package dev.strait.gateway.ike.message;

/** IANA "IKEv2 Hash Algorithms" (RFC 7427 section 4; RFC 8420 for IDENTITY), carried by SIGNATURE_HASH_ALGORITHMS. */
public final class HashAlgorithmId {
    public static final int SHA1 = 1;
    public static final int SHA2_256 = 2;
    public static final int SHA2_384 = 3;
    public static final int SHA2_512 = 4;
    public static final int IDENTITY = 5;

    private HashAlgorithmId() {
    }
}
