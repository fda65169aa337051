package dev.strait.gateway.ike.sa;

import static dev.strait.gateway.ike.sa.EngineLoopbackTest.await;
import static dev.strait.gateway.testing.PskTunnels.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.gateway.datapath.spi.ChildSaSpec;
import dev.strait.gateway.datapath.spi.Datapath;
import dev.strait.gateway.ike.sa.MemoryEngines.Side;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SA lifecycle between two engines on a {@link MemoryNetwork} with fake clocks: Child and IKE SA rekeys started by
 * either side, simultaneous rekeys (RFC 7296 2.8.1 / 2.8.2), lifetimes and dead peer detection.
 */
class LifecycleLoopbackTest extends TwoEngineLoopback {
    private static final String PSK = "lifecycle-loopback-psk-0123456789";

    private Side start(String ip, int pathMtu) throws Exception {
        return engines.start(ip, s -> s.withPathMtu(pathMtu));
    }

    private Side start(String ip, int pathMtu, IkeEngine.DosLimits dos) throws Exception {
        return engines.start(ip, s -> s.withPathMtu(pathMtu).withDos(dos));
    }

    /** A's tunnel: it starts. */
    private static TunnelConfig initiator(String esp) {
        return tunnel("t", "127.0.3.2", "a.test", "b.test", "10.10.0.0/24", "10.20.0.0/24", "aes256gcm16-prfsha384-x25519", esp,
                TunnelSpec.Initiation.Start, PSK);
    }

    /** B's tunnel: it waits for A. */
    private static TunnelConfig responder(String esp) {
        return tunnel("t", "127.0.3.1", "b.test", "a.test", "10.20.0.0/24", "10.10.0.0/24", "aes256gcm16-prfsha384-x25519", esp,
                TunnelSpec.Initiation.Passive, PSK);
    }

    /** s "crashes" (muted first so closing sends nothing) and a fresh engine starts on its address with tunnel t. */
    private Side restart(Side s, String ip, TunnelConfig t) throws Exception {
        s.link.mute();
        s.engine.close();
        Side fresh = engines.start(ip);
        fresh.engine.apply(List.of(TunnelDefinition.from(t)));
        return fresh;
    }

    private void pair(String esp, java.util.function.Consumer<TunnelConfig> adjust) throws Exception {
        a = engines.start("127.0.3.1");
        b = engines.start("127.0.3.2");
        TunnelConfig tb = responder(esp);
        TunnelConfig ta = initiator(esp);
        adjust.accept(ta);
        adjust.accept(tb);
        b.engine.apply(List.of(TunnelDefinition.from(tb)));
        a.engine.apply(List.of(TunnelDefinition.from(ta)));
        await(() -> oneMirroredChild(a, b), "first Child SA on both sides");
    }

    /** Exactly one Child SA on each side, and they are each other's mirror image. */
    private static boolean oneMirroredChild(Side a, Side b) {
        if (a.datapath.installed.size() != 1 || b.datapath.installed.size() != 1) {
            return false;
        }
        ChildSaSpec sa = a.datapath.installed.values().iterator().next();
        ChildSaSpec sb = b.datapath.installed.values().iterator().next();
        return sa.inboundSpi() == sb.outboundSpi() && sa.outboundSpi() == sb.inboundSpi()
                && java.util.Arrays.equals(sa.outboundEncKey(), sb.inboundEncKey())
                && java.util.Arrays.equals(sa.inboundEncKey(), sb.outboundEncKey());
    }

    private static int onlySpi(Side s) {
        return s.datapath.installed.keySet().iterator().next();
    }

    private static void rekeyChild(Side s) {
        IkeSa sa = s.sa();
        int spi = sa.children().getFirst().inboundSpi();
        sa.execute(() -> sa.rekeyChild(spi, null));
    }

    private static void rekeyIke(Side s) {
        IkeSa sa = s.sa();
        sa.execute(() -> sa.rekeyIke(null));
    }

    @Test
    void childRekeyStartedByEitherSideIsMakeBeforeBreak() throws Exception {
        pair("aes256gcm16", t -> { });
        for (Side initiator : List.of(a, b)) {
            int oldA = onlySpi(a);
            int oldB = onlySpi(b);
            rekeyChild(initiator);
            await(() -> oneMirroredChild(a, b) && onlySpi(a) != oldA && onlySpi(b) != oldB, "rekeyed Child SA on both sides");
            for (Side s : List.of(a, b)) {
                List<String> ev = s.datapath.events;
                int added = ev.indexOf("+" + Integer.toHexString(onlySpi(s)));
                int removed = ev.indexOf("-" + Integer.toHexString(s == a ? oldA : oldB));
                assertTrue(added >= 0 && removed > added, "new SA installed before the old one left: " + ev);
                // The rekey's responder sends on the new SA only once the initiator uses it or deletes the old one.
                assertEquals(s == initiator ? Datapath.Outbound.NOW : Datapath.Outbound.AFTER_PEER,
                        s.datapath.outbound.get(onlySpi(s)));
            }
        }
        assertEquals(2, a.count("childRekey"));
        assertEquals(2, b.count("childRekey"));
        assertEquals("Established", a.engine.snapshot().getFirst().phase());
        assertEquals("Established", b.engine.snapshot().getFirst().phase());
        for (Side s : List.of(a, b)) { // encapsulation is forced, so both sides floated to 4500 (initiator and responder)
            String local = s.engine.snapshot().getFirst().ike().localAddress();
            assertTrue(local.endsWith(":4500"), local);
        }
    }

    @Test
    void aRefusedChildRekeyIsLoggedAndNotedOnBothSides() throws Exception {
        // Same cipher, different PFS groups: IKE_AUTH's Child SA (no KE) agrees, a rekey with PFS cannot.
        pair("aes256gcm16-x25519", t -> {
            if (t.initiation == TunnelSpec.Initiation.Passive) {
                t.esp.proposals = List.of("aes256gcm16-ecp384");
            }
        });
        int before = onlySpi(a);
        rekeyChild(a);
        await(() -> b.engine.snapshot().getFirst().lastError() != null && a.engine.snapshot().getFirst().lastError() != null,
                "both sides note the refusal");
        TunnelSnapshot refused = b.engine.snapshot().getFirst();
        assertEquals("no_proposal", refused.lastErrorReason());
        assertEquals("refused the peer's Child SA rekey: the peer offered no acceptable ESP proposal with PFS; answered NO_PROPOSAL_CHOSEN",
                refused.lastError());
        assertEquals("Child SA rekey failed: NO_PROPOSAL_CHOSEN", a.engine.snapshot().getFirst().lastError());
        assertEquals(before, onlySpi(a), "the old Child SA stays");
    }

    @Test
    void childRekeyWithPfsDerivesFreshKeys() throws Exception {
        pair("aes256gcm16-x25519", t -> { });
        byte[] oldKey = a.datapath.installed.values().iterator().next().outboundEncKey();
        int oldA = onlySpi(a);
        rekeyChild(b);
        await(() -> oneMirroredChild(a, b) && onlySpi(a) != oldA, "PFS rekey");
        byte[] newKey = a.datapath.installed.values().iterator().next().outboundEncKey();
        assertEquals(oldKey.length, newKey.length);
        assertTrue(!java.util.Arrays.equals(oldKey, newKey));
    }

    @Test
    void ikeRekeyStartedByEitherSideKeepsTheChildren() throws Exception {
        pair("aes256gcm16", t -> { });
        for (Side initiator : List.of(a, b)) {
            long oldA = a.sa().localSpi();
            long oldB = b.sa().localSpi();
            int childA = onlySpi(a);
            rekeyIke(initiator);
            await(() -> a.sa() != null && b.sa() != null && a.sa().localSpi() != oldA && b.sa().localSpi() != oldB
                    && a.sa().spiI() == b.sa().spiI() && a.sa().spiR() == b.sa().spiR()
                    && a.engine.saCounts().getOrDefault("ESTABLISHED", 0) == 1
                    && a.engine.saCounts().size() == 1 && b.engine.saCounts().size() == 1, "rekeyed IKE SA, old one gone, got "
                    + a.engine.saCounts() + " / " + b.engine.saCounts());
            assertEquals(childA, onlySpi(a), "the Child SA moved to the new IKE SA untouched");
            assertEquals(initiator == a, a.sa().initiator(), "the rekey's initiator is the new SA's initiator");
            // The new IKE SA's keys work: a Child rekey runs over it.
            rekeyChild(initiator == a ? b : a);
            await(() -> oneMirroredChild(a, b) && onlySpi(a) != childA, "Child rekey over the new IKE SA");
        }
        assertEquals(2, a.count("ikeRekey"));
        assertEquals(2, b.count("ikeRekey"));
        assertEquals("Established", a.engine.snapshot().getFirst().phase());
    }

    @Test
    void replacedSasLeaveNoTimersBehind() throws Exception {
        // Rekey and liveness timers far in the future: a replaced SA that left them queued would hold its keys until then.
        pair("aes256gcm16", t -> {
            t.ike.rekeyAfter = "4h";
            t.esp.rekeyAfter = "1h";
            t.ike.dpd.interval = "30s";
        });
        int baseA = a.clock.pending();
        int baseB = b.clock.pending();
        assertTrue(baseA > 0 && baseB > 0, "an established tunnel has timers: " + baseA + " / " + baseB);
        for (int i = 0; i < 6; i++) {
            Side initiator = i % 2 == 0 ? a : b;
            long oldA = a.sa().localSpi();
            int childA = onlySpi(a);
            rekeyIke(initiator);
            await(() -> a.sa() != null && b.sa() != null && a.sa().localSpi() != oldA && a.sa().spiI() == b.sa().spiI()
                    && a.engine.saCounts().equals(Map.of("ESTABLISHED", 1))
                    && b.engine.saCounts().equals(Map.of("ESTABLISHED", 1)), "IKE rekey " + i);
            rekeyChild(initiator);
            await(() -> oneMirroredChild(a, b) && onlySpi(a) != childA, "Child rekey " + i);
        }
        await(() -> a.clock.pending() <= baseA && b.clock.pending() <= baseB,
                "timers back to " + baseA + " / " + baseB + " after 12 rekeys, got " + a.clock.pending() + " / "
                        + b.clock.pending());
    }

    @Test
    void anEstablishedResponderSaHoldsNoHalfOpenTimer() throws Exception {
        // Same lifetimes and liveness checks on both sides: once established, both hold the same timers (IKE and
        // Child SA rekey and expiry, DPD). The responder's half-open expiry (5 s past the retransmissions) must be gone.
        pair("aes256gcm16", t -> t.ike.rekeyAfter = "4h");
        // Awaited, not asserted at once: each side schedules its Child SA timers just after installing the Child SA.
        await(() -> a.clock.pending() >= 4 && a.clock.pending() == b.clock.pending(),
                "the responder holds the initiator's timers and no more");
    }

    @Test
    void simultaneousChildRekeysLeaveOneSaPair() throws Exception {
        pair("aes256gcm16", t -> { });
        int oldA = onlySpi(a);
        IkeSa sa = a.sa();
        IkeSa sb = b.sa();
        int spiA = sa.children().getFirst().inboundSpi();
        int spiB = sb.children().getFirst().inboundSpi();
        MemoryEngines.atOnce(sa, () -> sa.rekeyChild(spiA, null), sb, () -> sb.rekeyChild(spiB, null));
        await(() -> oneMirroredChild(a, b) && onlySpi(a) != oldA && a.count("childRekey") == 2, "one Child SA pair after the collision");
        engines.elapse(Duration.ofSeconds(2));
        assertTrue(oneMirroredChild(a, b), "still exactly one pair: " + a.datapath.installed.keySet() + " / " + b.datapath.installed.keySet());
        assertEquals(1, a.count("collision-child"));
        assertEquals(1, b.count("collision-child"));
    }

    @Test
    void simultaneousIkeRekeysLeaveOneIkeSa() throws Exception {
        pair("aes256gcm16", t -> { });
        long oldA = a.sa().localSpi();
        IkeSa sa = a.sa();
        IkeSa sb = b.sa();
        int child = onlySpi(a);
        MemoryEngines.atOnce(sa, () -> sa.rekeyIke(null), sb, () -> sb.rekeyIke(null));
        await(() -> a.sa() != null && b.sa() != null && a.sa().localSpi() != oldA && a.sa().spiI() == b.sa().spiI()
                && a.sa().spiR() == b.sa().spiR() && a.engine.saCounts().equals(Map.of("ESTABLISHED", 1))
                && b.engine.saCounts().equals(Map.of("ESTABLISHED", 1)),
                "one IKE SA after the collision, got " + a.engine.saCounts() + " / " + b.engine.saCounts());
        engines.elapse(Duration.ofSeconds(6)); // the loser's safety delete (retransmission window + 2 s = 5 s here) must not touch the winner
        assertEquals(Map.of("ESTABLISHED", 1), a.engine.saCounts());
        assertEquals(Map.of("ESTABLISHED", 1), b.engine.saCounts());
        assertEquals(child, onlySpi(a));
        assertEquals(1, a.count("collision-ike"));
        assertEquals(1, b.count("collision-ike"));
        assertEquals(a.sa().spiI(), b.sa().spiI());
        rekeyChild(b);
        await(() -> oneMirroredChild(a, b) && onlySpi(a) != child, "Child rekey over the surviving IKE SA");
    }

    @Test
    void lifetimesRekeyOnTheirOwn() throws Exception {
        pair("aes256gcm16", t -> {
            t.esp.rekeyAfter = "3s";
            t.ike.rekeyAfter = "5s";
        });
        await(() -> a.count("childRekey") >= 1 && a.count("ikeRekey") >= 1, "rekeys from the configured lifetimes");
        await(() -> oneMirroredChild(a, b) && a.sa() != null && b.sa() != null && a.sa().spiI() == b.sa().spiI(),
                "consistent state after automatic rekeys");
        assertEquals("Established", a.engine.snapshot().getFirst().phase());
        assertNotEquals(null, a.sa());
    }

    @Test
    void answeredLivenessCheckGivesTheTunnelItsRoundTripTime() throws Exception {
        pair("aes256gcm16", t -> {
            t.ike.dpd.interval = "1s";
            t.ike.dpd.timeout = "5s";
        });
        for (Side s : List.of(a, b)) {
            s.link.latency = Duration.ofMillis(10); // one way: a round trip of 20 ms
        }
        for (Side s : List.of(a, b)) {
            await(() -> s.count("roundTrip") > 0, "a liveness check answered");
            Double rtt = s.engine.snapshot().getFirst().ike().rttSeconds();
            assertTrue(rtt != null && rtt > 0, "round trip in the status: " + rtt);
        }
        assertEquals(0, a.count("dpdTimeout"));
    }

    @Test
    void retransmittedLivenessCheckGivesNoRoundTrip() throws Exception {
        pair("aes256gcm16", t -> {
            t.ike.dpd.interval = "1s";
            t.ike.dpd.timeout = "5s";
        });
        a.link.dropFirstCopyOfRequests = true; // A's checks reach B only as retransmissions
        int before = a.count("roundTrip");
        // three checks whose first copy was lost: the first two were answered (window of one, no dpdTimeout)
        await(() -> a.link.droppedRequests() >= 3, "three liveness checks, each retransmitted");
        assertTrue(a.link.droppedRequests() >= 3, "three liveness checks sent by A");
        assertEquals(0, a.count("dpdTimeout"), "the retransmitted checks were answered");
        assertTrue(a.count("retransmit") >= 2);
        // a sample of before's last check may still arrive just after the switch; none of the retransmitted ones do
        assertTrue(a.count("roundTrip") - before <= 1, "round trips from retransmitted checks: " + (a.count("roundTrip") - before));
        assertEquals("Established", a.engine.snapshot().getFirst().phase());
    }

    @Test
    void deadPeerIsNoticedWithinDpdTimeoutAndTheTunnelReconnects() throws Exception {
        pair("aes256gcm16", t -> {
            t.ike.dpd.interval = "1s";
            t.ike.dpd.timeout = "3s";
        });
        long established = a.clock.nanoTime();
        b.link.mute(); // B goes silent: no DELETE, no answers
        // the engine reports dpdTimeout and then schedules the reconnect: wait for both, not just the first
        // and for the reason, which the SA notes after closing (on its executor, racing this thread)
        await(() -> a.count("dpdTimeout") > 0 && a.count("reconnect") > 0
                && a.engine.snapshot().getFirst().lastErrorReason() != null, "dpdTimeout, reconnect and the reason");
        long noticed = a.clock.nanoTime();
        assertEquals(1, a.count("dpdTimeout"));
        assertTrue(a.count("reconnect") >= 1, "a Start tunnel reconnects");
        var snap = a.engine.snapshot().getFirst();
        assertTrue(List.of("peer_dead", "timeout").contains(snap.lastErrorReason()), snap.toString());
        // interval 1 s + timeout 3 s, the reconnect within 1 s, and the ticker's steps (engine time)
        assertTrue(noticed - established < Duration.ofSeconds(6).toNanos(), "noticed within dpd.timeout");
    }

    @Test
    void initialContactFromARestartedPeerDropsTheStaleSaAtOnce() throws Exception {
        pair("aes256gcm16", t -> { });
        long stale = b.sa().localSpi();
        Side a2 = restart(a, "127.0.3.1", initiator("aes256gcm16"));
        await(() -> oneMirroredChild(a2, b) && b.engine.saCounts().equals(Map.of("ESTABLISHED", 1)),
                "B keeps only the new IKE SA, got " + b.engine.saCounts());
        assertNotEquals(stale, b.sa().localSpi());
        assertEquals(0, b.count("dpdTimeout"), "no waiting for liveness checks");
    }

    /**
     * The Passive side crashes and restarts: it waits, until the peer's next IKE request on the SA it lost (here a
     * liveness check) tells it the peer still holds stale state; then it contacts the peer once, with INITIAL_CONTACT.
     */
    @Test
    void aRestartedPassiveSideContactsAPeerThatStillUsesTheLostSa() throws Exception {
        pair("aes256gcm16", t -> { });
        long stale = a.sa().localSpi();
        Side b2 = restart(b, "127.0.3.2", responder("aes256gcm16"));
        assertEquals(null, b2.sa(), "a restarted Passive tunnel only waits");
        IkeSa old = a.sa();
        old.execute(old::sendLivenessCheck);
        await(() -> oneMirroredChild(a, b2) && a.engine.saCounts().equals(Map.of("ESTABLISHED", 1)),
                "the restarted side contacted A, which dropped its stale SA; got " + a.engine.saCounts());
        assertNotEquals(stale, a.sa().localSpi());
        assertTrue(b2.sa().initiator(), "the Passive side initiated the new SA");
        assertEquals(0, a.count("dpdTimeout"), "no waiting for the liveness check to time out");
    }

    /**
     * A replica that stood by (its tunnels removed, the DELETE lost on a cut network) and becomes active again says
     * INITIAL_CONTACT again: the peer drops the SA it still holds at once, not after its dead-peer detection.
     */
    @Test
    void aTunnelRemovedAndAddedAgainSaysInitialContactSoThePeerDropsTheSaItStillHolds() throws Exception {
        pair("aes256gcm16", t -> { });
        long stale = b.sa().localSpi();
        a.link.dropRequests = true; // A's DELETE and its retransmissions never arrive
        a.engine.apply(List.of());
        long removed = a.clock.nanoTime();
        // the DELETE's retransmissions (0.3 s, 0.6 s) are spent, in engine time
        await(() -> a.clock.nanoTime() - removed > Duration.ofMillis(1_500).toNanos(), "1.5 s of engine time");
        a.link.dropRequests = false;
        assertEquals(Map.of("ESTABLISHED", 1), b.engine.saCounts(), "B still holds the SA A gave up");
        a.engine.apply(List.of(TunnelDefinition.from(initiator("aes256gcm16"))));
        await(() -> oneMirroredChild(a, b) && b.engine.saCounts().equals(Map.of("ESTABLISHED", 1))
                && b.sa().localSpi() != stale, "B dropped the stale SA on INITIAL_CONTACT; got " + b.engine.saCounts());
        // A Strait responder keeps only the newest SA anyway; strongSwan (uniqueids=no) keeps both unless told.
        assertEquals(0, b.count("dpdTimeout"));
    }

    @Test
    void largeIkeAuthIsFragmentedOnASmallPath() throws Exception {
        a = start("127.0.3.1", 576);
        b = start("127.0.3.2", 576);
        List<String> left = java.util.stream.IntStream.range(0, 40).mapToObj(i -> "10.10." + i + ".0/24").toList();
        List<String> right = java.util.stream.IntStream.range(0, 40).mapToObj(i -> "10.20." + i + ".0/24").toList();
        TunnelConfig tb = responder("aes256gcm16");
        tb.local.subnets = right;
        tb.remote.subnets = left;
        TunnelConfig ta = initiator("aes256gcm16");
        ta.local.subnets = left;
        ta.remote.subnets = right;
        b.engine.apply(List.of(TunnelDefinition.from(tb)));
        a.engine.apply(List.of(TunnelDefinition.from(ta)));
        await(() -> oneMirroredChild(a, b), "Child SA through a fragmented IKE_AUTH");
        assertEquals(40, a.datapath.installed.values().iterator().next().localSelectors().size());
        assertTrue(a.count("fragment-sent") >= 2 && b.count("fragment-received") >= 2, "request fragmented: " + a.events);
        assertTrue(b.count("fragment-sent") >= 2 && a.count("fragment-received") >= 2, "response fragmented: " + b.events);
        assertTrue(a.sa().fragmentation() && b.sa().fragmentation());
    }

    @Test
    void noFragmentationWhenOneSideDisablesIt() throws Exception {
        pair("aes256gcm16", t -> t.ike.fragmentation = false);
        assertTrue(!a.sa().fragmentation() && !b.sa().fragmentation());
    }

    /** IKE_SA_INITs with random SPIs from the peer's address (other port): each would be a new half-open SA. */
    private int flood(String from, String to, int count) throws Exception {
        {
            java.util.Random r = new java.util.Random(1);
            var offer = dev.strait.gateway.ike.sa.ProposalMatcher.ikeOffer(List.of(
                    dev.strait.gateway.ike.crypto.ProposalParser.parseIke("aes256gcm16-prfsha384-x25519", false)), new byte[0]);
            for (int i = 0; i < count; i++) {
                byte[] ke = new byte[32];
                byte[] nonce = new byte[32];
                r.nextBytes(ke);
                r.nextBytes(nonce);
                var m = new dev.strait.gateway.ike.message.IkeMessage(r.nextLong() | 1, 0,
                        dev.strait.gateway.ike.message.ExchangeType.IKE_SA_INIT, dev.strait.gateway.ike.message.IkeMessage.FLAG_INITIATOR, 0,
                        List.of(new dev.strait.gateway.ike.message.Payload.Sa(offer),
                                new dev.strait.gateway.ike.message.Payload.KeyExchange(31, ke),
                                new dev.strait.gateway.ike.message.Payload.Nonce(nonce)));
                engines.network.inject(dev.strait.gateway.ike.message.IkeCodec.encode(m), new InetSocketAddress(from, 10_000 + i),
                        new InetSocketAddress(to, MemoryNetwork.IKE_PORT));
            }
        }
        return count;
    }

    @Test
    void aFloodMeetsCookiesAndTheRealTunnelStillComesUp() throws Exception {
        engines.pause(true); // the half-open SAs must not expire while the real peer comes in
        a = engines.start("127.0.3.1");
        b = start("127.0.3.2", 1500, new IkeEngine.DosLimits(3, 1000, 1000));
        b.engine.apply(List.of(TunnelDefinition.from(responder("aes256gcm16"))));
        int sent = flood("127.0.3.1", "127.0.3.2", 400);
        // Nothing beyond the threshold creates state; everything beyond it is answered with a cookie.
        await(() -> b.count("cookie") == sent - 3, "cookies for the flood beyond the threshold");
        assertEquals(3, b.engine.halfOpenCount(), "no state beyond the cookie threshold");
        a.engine.apply(List.of(TunnelDefinition.from(initiator("aes256gcm16"))));
        await(() -> oneMirroredChild(a, b), "the real tunnel, with a cookie round trip");
        assertTrue(b.engine.halfOpenCount() <= 3, "the real SA left the half-open table once authenticated");
    }

    /**
     * A blind spoofer using the peer's own address, far below the global cookie threshold: that address is asked for
     * cookies once it holds half its per-source limit, so the spoofer's SAs stop there and the real peer, which echoes
     * the cookie, gets in while they are still half-open.
     */
    @Test
    void aBlindSpooferFromThePeersAddressDoesNotLockThePeerOut() throws Exception {
        engines.pause(true); // the half-open SAs must not expire while the real peer comes in
        a = engines.start("127.0.3.1");
        IkeEngine.DosLimits limits = new IkeEngine.DosLimits(1000, 1000, 6);
        b = start("127.0.3.2", 1500, limits);
        b.engine.apply(List.of(TunnelDefinition.from(responder("aes256gcm16"))));
        flood("127.0.3.1", "127.0.3.2", 50);
        await(() -> b.count("cookie") >= 20, "cookies for the spoofed IKE_SA_INITs beyond the per-source threshold");
        assertEquals(limits.cookieThresholdPerSource(), b.engine.halfOpenCount(), "the spoofer holds half the per-source limit");
        a.engine.apply(List.of(TunnelDefinition.from(initiator("aes256gcm16"))));
        await(() -> oneMirroredChild(a, b), "the real peer's tunnel, with a cookie round trip");
        // The spoofed SAs expire after the retransmit time plus 5 s; the peer got in while they still held their slots.
        assertEquals(limits.cookieThresholdPerSource(), b.engine.halfOpenCount(), "the spoofed SAs were still half-open");
    }


    @SuppressWarnings("unused")
    private static void same(byte[] x, byte[] y) {
        assertArrayEquals(x, y);
    }
}
