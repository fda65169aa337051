package dev.strait.gateway.ike.auth;

import dev.strait.gateway.ike.MetricLabel;

/**
 * Why a peer's certificate or signature was refused. {@link #label()} is the value of the {@code reason} label of
 * {@code strait_ike_auth_failures_total} and the token to put in the log line.
 */
public enum AuthFailure implements MetricLabel {
    UNTRUSTED_CA,
    EXPIRED,
    NOT_YET_VALID,
    REVOKED,
    ID_MISMATCH,
    BAD_SIGNATURE,
    /** The peer used another AUTH method than the tunnel's. */
    AUTH_METHOD,
    /** The peer's shared-key AUTH does not verify: the PSKs differ. */
    PSK_MISMATCH,
    KEY_USAGE,
    /** SHA-1, an unknown algorithm, or an algorithm that does not fit the certificate's key. */
    UNSUPPORTED_ALGORITHM,
    /** Undecodable CERT or AUTH data, or no usable certificate at all. */
    MALFORMED;
}
