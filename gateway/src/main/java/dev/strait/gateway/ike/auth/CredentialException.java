package dev.strait.gateway.ike.auth;

/** A certificate, key, CA or CRL file that cannot be used; the message names the file and the problem, never key bytes. */
public final class CredentialException extends RuntimeException {
    public CredentialException(String message) {
        super(message);
    }
}
