package dev.strait.gateway.ike.sa;

import dev.strait.api.v1alpha1.TunnelSpec;
import java.time.Duration;
import java.time.Instant;

/**
 * The tunnel's phase, last error and reconnect back-off as one state machine: each method is an event of the table
 * in docs/operations.md ("Phases"), and {@link #phase()} is derived from what the events left, so the phase cannot
 * disagree with the SAs. No threads or timers here: TunnelRuntime feeds the events under its lock.
 */
final class TunnelStatus {
    /** Failed attempts in a row after which an initiating tunnel shows Failed instead of Connecting. */
    static final int FAILED_AFTER = 3;
    /** The first reconnect delay; it doubles with each failed attempt up to the configured cap. */
    static final Duration FIRST_DELAY = Duration.ofSeconds(1);

    /** Why the tunnel is not (fully) up, with when it happened. */
    record Error(FailureReason reason, String message, Instant at) {
        /** A normal Delete from the peer is news, not a fault: it never makes a tunnel Failed. */
        boolean fault() {
            return reason != FailureReason.PEER_DELETED && reason != FailureReason.CHILD_DELETED;
        }
    }

    enum Mode {
        START, ON_TRAFFIC, PASSIVE;

        static Mode of(TunnelDefinition d) {
            return d.passive() ? PASSIVE : d.initiation() == TunnelSpec.Initiation.OnTraffic ? ON_TRAFFIC : START;
        }
    }

    private final Mode mode;
    private boolean stopped = true;
    /** Our IKE SA is being set up (IKE_SA_INIT / IKE_AUTH), not yet established. */
    private boolean connecting;
    /** An established IKE SA carries the tunnel. */
    private boolean ikeUp;
    private boolean childUp;
    private boolean pairsMissing;
    /** Attempts since the tunnel was last Established: the back-off exponent. */
    private int attempts;
    private Error lastError;

    TunnelStatus(Mode mode) {
        this.mode = mode;
    }

    void started() {
        stopped = false;
    }

    void stopped() {
        stopped = true;
        connecting = false;
    }

    /** We start an IKE SA as initiator (first attempt, reconnect or traffic). */
    void attempt() {
        attempts++;
        connecting = true;
    }

    /** An IKE SA now carries the tunnel (either role): a new start, so an older error no longer applies. */
    void ikeEstablished() {
        connecting = false;
        ikeUp = true;
        childUp = false;
        pairsMissing = false;
        lastError = null;
    }

    /** The current IKE SA's Child SAs changed: any at all, and whether subnet pairs stay without one. */
    void childrenChanged(boolean anyChild, boolean missing) {
        childUp = anyChild;
        pairsMissing = missing;
        if (phase() == TunnelPhase.Established) {
            attempts = 0;
            lastError = null;
        }
    }

    void error(FailureReason reason, String message, Instant at) {
        lastError = new Error(reason, message, at);
    }

    /**
     * A Passive tunnel's one contact (to a peer that still used SAs we lost) went unanswered: no fault, the tunnel
     * keeps waiting for the peer, so a timeout does not make it Failed.
     */
    void contactUnanswered() {
        if (lastError != null && FailureReason.TIMEOUT.equals(lastError.reason())) {
            lastError = null;
        }
    }

    /** The IKE SA that carried (or was setting up) the tunnel is gone. */
    void ikeClosed() {
        connecting = false;
        ikeUp = false;
        childUp = false;
        pairsMissing = false;
    }

    TunnelPhase phase() {
        if (stopped) {
            return TunnelPhase.Pending;
        }
        if (ikeUp) {
            return childUp && !pairsMissing ? TunnelPhase.Established : TunnelPhase.Degraded;
        }
        boolean failing = lastError != null && lastError.fault();
        boolean retrying = mode == Mode.START || connecting;
        if (retrying) {
            return failing && attempts >= FAILED_AFTER ? TunnelPhase.Failed : TunnelPhase.Connecting;
        }
        return failing ? TunnelPhase.Failed : TunnelPhase.Pending;
    }

    Error lastError() {
        return lastError;
    }

    int attempts() {
        return attempts;
    }

    /** The wait before the next attempt: 1 s, doubling with each failed attempt in a row, at most cap (no jitter). */
    Duration reconnectDelay(Duration cap) {
        int doublings = Math.min(Math.max(attempts - 1, 0), 20);
        long millis = Math.min(cap.toMillis(), FIRST_DELAY.toMillis() << doublings);
        return Duration.ofMillis(millis);
    }
}
