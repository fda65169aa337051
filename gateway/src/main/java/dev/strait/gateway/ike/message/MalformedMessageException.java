package dev.strait.gateway.ike.message;

/**
 * The bytes are not a well-formed IKEv2 message; the reason says which length or field is wrong.
 * No stack trace is captured: any peer can make us throw this at line rate, and the reason is the diagnosis.
 */
public class MalformedMessageException extends Exception {
    public MalformedMessageException(String reason) {
        super(reason, null, false, false);
    }
}
