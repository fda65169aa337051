package dev.strait.gateway.ike.sa;

/** A tunnel's phase, as /status and IPsecTunnel.status.phase show it (docs/operations.md, "Phases"). */
public enum TunnelPhase {
    /** Not started, stopped, or waiting for the peer (Passive) or for traffic (OnTraffic). */
    Pending,
    /** An IKE SA of ours is being set up, or a reconnect is scheduled after fewer than FAILED_AFTER failed attempts. */
    Connecting,
    /** An IKE SA and Child SAs for every subnet pair. */
    Established,
    /** An IKE SA, but no Child SA or not every subnet pair carried (the peer refused or deleted some). */
    Degraded,
    /** The last attempts failed (lastError says why); an initiating tunnel keeps retrying with back-off. */
    Failed
}
