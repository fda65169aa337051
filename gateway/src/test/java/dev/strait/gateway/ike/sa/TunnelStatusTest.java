package dev.strait.gateway.ike.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.strait.gateway.ike.sa.TunnelStatus.Mode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Every row of the phase table in docs/operations.md ("Phases"), in the table's order. */
class TunnelStatusTest {
    private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

    private static TunnelStatus started(Mode mode) {
        TunnelStatus s = new TunnelStatus(mode);
        s.started();
        return s;
    }

    /** Started, and an attempt to connect under way. */
    private static TunnelStatus attempting(Mode mode) {
        TunnelStatus s = started(mode);
        s.attempt();
        return s;
    }

    private static void failAttempt(TunnelStatus s, FailureReason reason) {
        s.attempt();
        s.error(reason, "peer answered " + reason.label(), AT);
        s.ikeClosed();
    }

    private static void assertState(TunnelStatus s, TunnelPhase phase, String reason) {
        assertEquals(phase, s.phase());
        assertEquals(reason, s.lastError() == null ? null : s.lastError().reason().label());
    }

    @Test
    void notStartedIsPending() {
        assertState(new TunnelStatus(Mode.START), TunnelPhase.Pending, null);
    }

    @Test
    void row1StartConnectsAtOnce() {
        assertState(attempting(Mode.START), TunnelPhase.Connecting, null);
    }

    @Test
    void row2PassiveAndOnTrafficWait() {
        assertState(started(Mode.PASSIVE), TunnelPhase.Pending, null);
        assertState(started(Mode.ON_TRAFFIC), TunnelPhase.Pending, null);
    }

    @Test
    void row3TrafficStartsAnOnTrafficTunnel() {
        assertState(attempting(Mode.ON_TRAFFIC), TunnelPhase.Connecting, null);
    }

    @Test
    void row4AnIkeSaWithoutChildSaIsDegradedAndClearsTheOldError() {
        TunnelStatus s = started(Mode.START);
        failAttempt(s, FailureReason.TIMEOUT);
        s.attempt();
        s.ikeEstablished(); // also a childless IKE SA (RFC 6023) stays here
        assertState(s, TunnelPhase.Degraded, null);
    }

    @Test
    void row5ChildSasForEveryPairEstablishAndResetTheBackOff() {
        TunnelStatus s = started(Mode.START);
        failAttempt(s, FailureReason.TIMEOUT);
        failAttempt(s, FailureReason.TIMEOUT);
        s.attempt();
        s.ikeEstablished();
        s.error(FailureReason.REKEY_FAILED, "x", AT);
        s.childrenChanged(true, false);
        assertState(s, TunnelPhase.Established, null);
        assertEquals(0, s.attempts());
    }

    @Test
    void row6RefusedPairsOrNoChildSaLeftAreDegraded() {
        TunnelStatus s = attempting(Mode.START);
        s.ikeEstablished();
        s.error(FailureReason.TS_UNACCEPTABLE, "no Child SA for 10.1.0.0/24 <-> 10.2.0.0/24: peer answered TS_UNACCEPTABLE", AT);
        s.childrenChanged(true, true);
        assertState(s, TunnelPhase.Degraded, "ts_unacceptable");
        s.error(FailureReason.CHILD_DELETED, "the peer deleted the Child SA", AT);
        s.childrenChanged(false, false);
        assertState(s, TunnelPhase.Degraded, "child_deleted");
    }

    @Test
    void row7And8FailedAttemptsConnectThenFailWhileRetrying() {
        TunnelStatus s = started(Mode.START);
        for (int i = 1; i < TunnelStatus.FAILED_AFTER; i++) {
            s.attempt();
            s.ikeEstablished(); // the IKE SA comes up, then the peer refuses the Child SA
            s.error(FailureReason.TS_UNACCEPTABLE, "IKE SA is up but the peer refused the Child SA: TS_UNACCEPTABLE", AT);
            s.ikeClosed();
            assertState(s, TunnelPhase.Connecting, "ts_unacceptable");
        }
        failAttempt(s, FailureReason.TS_UNACCEPTABLE);
        assertState(s, TunnelPhase.Failed, "ts_unacceptable");
        s.attempt(); // the retries go on, and so does Failed while they run
        assertState(s, TunnelPhase.Failed, "ts_unacceptable");
    }

    @Test
    void row9PassiveOrOnTrafficFailAtOnce() {
        for (Mode mode : new Mode[] {Mode.PASSIVE, Mode.ON_TRAFFIC}) {
            TunnelStatus s = started(mode);
            s.error(FailureReason.NO_PROPOSAL, "peer offered no acceptable IKE proposal", AT);
            assertState(s, TunnelPhase.Failed, "no_proposal");
        }
    }

    @Test
    void row10ANormalDeleteFromThePeerIsNoFailure() {
        for (Mode mode : Mode.values()) {
            TunnelStatus s = started(mode);
            if (mode != Mode.PASSIVE) {
                s.attempt();
            }
            s.ikeEstablished();
            s.childrenChanged(true, false);
            s.ikeClosed();
            s.error(FailureReason.PEER_DELETED, "the peer deleted the IKE SA", AT);
            assertState(s, mode == Mode.START ? TunnelPhase.Connecting : TunnelPhase.Pending, "peer_deleted");
            assertEquals(Duration.ofSeconds(1), s.reconnectDelay(Duration.ofSeconds(8)), "reconnect at once");
        }
    }

    @Test
    void row11StoppedIsPending() {
        TunnelStatus s = started(Mode.START);
        failAttempt(s, FailureReason.TIMEOUT);
        s.stopped();
        assertEquals(TunnelPhase.Pending, s.phase());
    }

    @Test
    void backOffDoublesPerFailedAttemptUpToTheCap() {
        TunnelStatus s = started(Mode.START);
        Duration cap = Duration.ofSeconds(8);
        long[] expected = {1, 1, 2, 4, 8, 8, 8};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Duration.ofSeconds(expected[i]), s.reconnectDelay(cap), "after " + s.attempts() + " attempts");
            failAttempt(s, FailureReason.TS_UNACCEPTABLE);
        }
        assertNull(new TunnelStatus(Mode.START).lastError());
    }
}
