package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.auth.AuthFailure;

/**
 * Why a tunnel failed or a request was refused: the lastErrorReason of /status and IPsecTunnel.status, and the reason
 * label of the auth-failure metric. The label is the string the status and metrics have always shown.
 */
public enum FailureReason {
    PEER_REJECTED("peer_rejected"),
    NO_PROPOSAL("no_proposal"),
    TIMEOUT("timeout"),
    ID_MISMATCH("id_mismatch"),
    TS_UNACCEPTABLE("ts_unacceptable"),
    CHILD_FAILED("child_failed"),
    CHILD_MISSING("child_missing"),
    CHILD_NOT_FOUND("child_not_found"),
    CHILD_DELETED("child_deleted"),
    /** ike.childless is Force and the peer did not announce RFC 6023 support. */
    CHILDLESS_UNSUPPORTED("childless_unsupported"),
    SYNTAX("syntax"),
    PEER_DELETED("peer_deleted"),
    PEER_DEAD("peer_dead"),
    REKEY_FAILED("rekey_failed"),
    INVALID_KE("invalid_ke"),
    AUTH_METHOD("auth_method"),
    PSK_MISMATCH("psk_mismatch"),
    // Certificate authentication (AuthFailure), same labels.
    UNTRUSTED_CA("untrusted_ca"),
    EXPIRED("expired"),
    NOT_YET_VALID("not_yet_valid"),
    REVOKED("revoked"),
    BAD_SIGNATURE("bad_signature"),
    KEY_USAGE("key_usage"),
    UNSUPPORTED_ALGORITHM("unsupported_algorithm"),
    MALFORMED("malformed");

    private final String label;

    FailureReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** The reason a certificate authentication failure is shown under. */
    public static FailureReason of(AuthFailure failure) {
        return valueOf(failure.name());
    }
}
