package dev.strait.gateway.ike.message;

/** The UDP ports IKE uses: 500, and 4500 for NAT traversal and UDP-encapsulated ESP (RFC 7296 section 2, RFC 3948). */
public final class IkePorts {
    public static final int IKE = 500;
    public static final int NATT = 4500;

    private IkePorts() {
    }
}
