package dev.strait.gateway.ike.sa;

/**
 * Why the engine dropped an IKE datagram without answering it: the {@code reason} label of
 * {@code strait_ike_dropped_total}. Every datagram that is not processed is counted under exactly one of these.
 */
public enum IkeDrop {
    /** Not a parsable IKE message (header, payload chain, lengths). */
    MALFORMED("malformed"),
    /** An SK/SKF payload whose integrity check fails: forged, corrupted, or sent under old keys. */
    INTEGRITY("integrity"),
    /** No IKE SA has the SPI the message names. */
    UNKNOWN_SPI("unknown_spi"),
    /** An IKE SA exists but does not expect the message: late or duplicate response, request outside the window. */
    UNEXPECTED("unexpected"),
    /** An IKE_SA_INIT from an address no tunnel accepts. */
    UNKNOWN_PEER("unknown_peer"),
    /** An IKE_SA_INIT beyond the half-open limits (per source address, or shared by unconfigured addresses). */
    HALF_OPEN_LIMIT("half_open_limit"),
    /** An IKE datagram on the NAT-T port while the IKE worker's queue was full (the ESP thread never waits for it). */
    QUEUE_FULL("queue_full");

    private final String label;

    IkeDrop(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
