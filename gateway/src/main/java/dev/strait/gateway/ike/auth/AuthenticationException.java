package dev.strait.gateway.ike.auth;

/** A refused peer authentication: a metric/log reason plus a human-readable detail (never secret material). */
public final class AuthenticationException extends Exception {
    private final AuthFailure reason;

    public AuthenticationException(AuthFailure reason, String detail) {
        super(reason.label() + ": " + detail);
        this.reason = reason;
    }

    public AuthFailure reason() {
        return reason;
    }
}
