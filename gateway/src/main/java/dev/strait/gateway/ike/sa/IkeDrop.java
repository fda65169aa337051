package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.MetricLabel;

/**
 * Why the engine dropped an IKE datagram without answering it: the {@code reason} label of
 * {@code strait_ike_dropped_total}. Every datagram that is not processed is counted under exactly one of these.
 */
public enum IkeDrop implements MetricLabel {
    /** Not a parsable IKE message (header, payload chain, lengths). */
    MALFORMED,
    /** An SK/SKF payload whose integrity check fails: forged, corrupted, or sent under old keys. */
    INTEGRITY,
    /** No IKE SA has the SPI the message names. */
    UNKNOWN_SPI,
    /** An IKE SA exists but does not expect the message: late or duplicate response, request outside the window. */
    UNEXPECTED,
    /** An IKE_SA_INIT from an address no tunnel accepts. */
    UNKNOWN_PEER,
    /** An IKE_SA_INIT beyond the half-open limits (per source address, or shared by unconfigured addresses). */
    HALF_OPEN_LIMIT,
    /** An IKE datagram on the NAT-T port while the IKE worker's queue was full (the ESP thread never waits for it). */
    QUEUE_FULL;
}
