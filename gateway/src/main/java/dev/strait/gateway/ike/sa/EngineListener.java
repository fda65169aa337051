package dev.strait.gateway.ike.sa;

import java.time.Duration;

/** What the IKE engine reports as it works; the daemon maps these to metrics. All methods default to no-ops. */
public interface EngineListener {
    default void ikeSaEstablished(String tunnel, Duration handshake) {
    }

    default void tunnelUp(String tunnel, boolean up) {
    }

    default void retransmit(String tunnel) {
    }

    /** reason: psk_mismatch, no_proposal, ts_unacceptable, peer_rejected, ... (a tunnel's own negotiation failed) */
    default void authFailure(String tunnel, FailureReason reason) {
    }

    default void dpdTimeout(String tunnel) {
    }

    /** A liveness check we sent once was answered after rtt (strait_tunnel_rtt_seconds). */
    default void roundTrip(String tunnel, Duration rtt) {
    }

    default void ikeRekey(String tunnel) {
    }

    default void childRekey(String tunnel) {
    }

    /**
     * We asked the peer for an additional Child SA for a subnet pair it left out (RFC 7296 section 1.3.1); outcome is
     * "created" or "refused".
     */
    default void additionalChild(String tunnel, String outcome) {
    }

    /** Both ends rekeyed the same SA at once; kind is "ike" or "child" (RFC 7296 section 2.8.1). */
    default void rekeyCollision(String tunnel, String kind) {
    }

    /** A Start tunnel schedules another attempt after a failure. */
    default void reconnect(String tunnel) {
    }

    default void cookieSent() {
    }

    /** direction: "sent" or "received". */
    default void fragment(String direction) {
    }

    /** An IKE datagram dropped without an answer (strait_ike_dropped_total). */
    default void dropped(IkeDrop reason) {
    }

    /** A request refused before its sender authenticated (strait_ike_rejected_total); no tunnel is blamed. */
    default void rejected(IkeRejection reason) {
    }

    EngineListener NONE = new EngineListener() {
    };
}
