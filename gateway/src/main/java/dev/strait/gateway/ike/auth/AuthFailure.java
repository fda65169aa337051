package dev.strait.gateway.ike.auth;

/**
 * Why a peer's certificate or signature was refused. {@link #label()} is the value of the {@code reason} label of
 * {@code strait_ike_auth_failures_total} and the token to put in the log line.
 */
public enum AuthFailure {
    UNTRUSTED_CA("untrusted_ca"),
    EXPIRED("expired"),
    NOT_YET_VALID("not_yet_valid"),
    REVOKED("revoked"),
    ID_MISMATCH("id_mismatch"),
    BAD_SIGNATURE("bad_signature"),
    /** The peer used another AUTH method than the tunnel's. */
    AUTH_METHOD("auth_method"),
    /** The peer's shared-key AUTH does not verify: the PSKs differ. */
    PSK_MISMATCH("psk_mismatch"),
    KEY_USAGE("key_usage"),
    /** SHA-1, an unknown algorithm, or an algorithm that does not fit the certificate's key. */
    UNSUPPORTED_ALGORITHM("unsupported_algorithm"),
    /** Undecodable CERT or AUTH data, or no usable certificate at all. */
    MALFORMED("malformed");

    private final String label;

    AuthFailure(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
