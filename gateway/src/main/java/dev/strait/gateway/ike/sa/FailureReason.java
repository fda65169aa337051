package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.MetricLabel;
import dev.strait.gateway.ike.auth.AuthFailure;

/**
 * Why a tunnel failed or a request was refused: the lastErrorReason of /status and IPsecTunnel.status, and the reason
 * label of the auth-failure metric. The label is the string the status and metrics have always shown.
 */
public enum FailureReason implements MetricLabel {
    PEER_REJECTED,
    NO_PROPOSAL,
    TIMEOUT,
    ID_MISMATCH,
    TS_UNACCEPTABLE,
    CHILD_FAILED,
    CHILD_MISSING,
    CHILD_NOT_FOUND,
    CHILD_DELETED,
    /** ike.childless is Force and the peer did not announce RFC 6023 support. */
    CHILDLESS_UNSUPPORTED,
    SYNTAX,
    PEER_DELETED,
    PEER_DEAD,
    REKEY_FAILED,
    INVALID_KE,
    AUTH_METHOD,
    PSK_MISMATCH,
    // Certificate authentication (AuthFailure), same labels.
    UNTRUSTED_CA,
    EXPIRED,
    NOT_YET_VALID,
    REVOKED,
    BAD_SIGNATURE,
    KEY_USAGE,
    UNSUPPORTED_ALGORITHM,
    MALFORMED;

    /** The reason a certificate authentication failure is shown under. */
    public static FailureReason of(AuthFailure failure) {
        return valueOf(failure.name());
    }
}
