package dev.strait.gateway.ike.message;

/** The bytes are not a well-formed IKEv2 message; the reason says which length or field is wrong. */
public class MalformedMessageException extends Exception {
    public MalformedMessageException(String reason) {
        super(reason);
    }
}
