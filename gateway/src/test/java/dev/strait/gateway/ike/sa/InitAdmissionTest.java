package dev.strait.gateway.ike.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.strait.gateway.ike.sa.InitAdmission.Verdict;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** The admission rules of {@link InitAdmission} on a real {@link HalfOpenTable}, without sockets or clocks. */
class InitAdmissionTest {
    private static final IkeEngine.DosLimits LIMITS = new IkeEngine.DosLimits(32, 64, 16);
    private final HalfOpenTable table = new HalfOpenTable();
    private final InitAdmission admission = new InitAdmission(LIMITS, table);
    /** Not started: only the SAs' home (executors, timers), no sockets. */
    private final IkeEngine engine = new IkeEngine(IkeEngine.Settings.defaults(new java.net.InetSocketAddress("127.0.0.1", 0), 0), null);
    private int spi;

    @org.junit.jupiter.api.AfterEach
    void closeEngine() {
        engine.close();
    }

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    /** Offers one IKE_SA_INIT; an admitted one becomes a half-open SA, as the engine does. */
    private Verdict offer(InetAddress from, boolean configuredPeer, boolean echoesCookie) {
        Verdict v = admission.decide(from, configuredPeer, () -> echoesCookie);
        if (v == Verdict.ADMIT) {
            table.add("spi" + (++spi) + "@" + from, from, new IkeSa(engine, false, spi, null, java.util.List.of()), configuredPeer);
        }
        return v;
    }

    /** The next n IKE_SA_INITs from an address that is no configured peer are all admitted. */
    private void admitsNext(int n, InetAddress from, boolean echoesCookie) {
        for (int i = 0; i < n; i++) {
            assertEquals(Verdict.ADMIT, offer(from, false, echoesCookie));
        }
    }

    @Test
    void aBlindSpooferFromThePeersAddressFillsHalfItsLimitAndThePeerStillGetsIn() throws Exception {
        InetAddress peer = ip("192.0.2.1");
        int admitted = 0;
        for (int i = 0; i < 1000; i++) { // the spoofer never sees our cookies
            if (offer(peer, true, false) == Verdict.ADMIT) {
                admitted++;
            }
        }
        assertEquals(LIMITS.cookieThresholdPerSource(), admitted, "the spoofer gets the cookie-free half only");
        assertEquals(Verdict.ASK_COOKIE, offer(peer, true, false), "the peer's first try is asked for a cookie");
        assertEquals(Verdict.ADMIT, offer(peer, true, true), "and gets in when it echoes it");
    }

    @Test
    void cookiesAreAskedPerSourceBeforeTheGlobalThreshold() throws Exception {
        InetAddress a = ip("198.51.100.1");
        admitsNext(LIMITS.cookieThresholdPerSource(), a, false);
        assertEquals(Verdict.ASK_COOKIE, offer(a, false, false));
        assertEquals(Verdict.ADMIT, offer(ip("198.51.100.2"), false, false), "another address is below both thresholds");
    }

    @Test
    void aboveTheGlobalThresholdEveryoneIsAskedForACookie() throws Exception {
        for (int i = 0; i < LIMITS.cookieThreshold(); i++) {
            assertEquals(Verdict.ADMIT, offer(ip("198.51.100." + (1 + i)), false, false));
        }
        assertEquals(Verdict.ASK_COOKIE, offer(ip("198.51.100.200"), false, false));
        assertEquals(Verdict.ASK_COOKIE, offer(ip("192.0.2.1"), true, false), "configured peers too");
        assertEquals(Verdict.ADMIT, offer(ip("192.0.2.1"), true, true));
    }

    @Test
    void echoingCookiesDoesNotLiftThePerSourceLimit() throws Exception {
        InetAddress a = ip("198.51.100.1");
        admitsNext(LIMITS.maxHalfOpenPerSource(), a, true);
        assertEquals(Verdict.DROP, offer(a, false, true));
    }

    @Test
    void aCookieEchoingFloodFillsTheSharedPoolButNotAConfiguredPeersCapacity() throws Exception {
        int flooders = 0;
        for (int host = 1; host <= 254; host++) {
            for (int i = 0; i < LIMITS.maxHalfOpenPerSource(); i++) {
                if (offer(ip("203.0.113." + host), false, true) == Verdict.ADMIT) {
                    flooders++;
                }
            }
        }
        assertEquals(LIMITS.maxHalfOpen(), flooders, "the flood takes the shared pool and no more");
        assertEquals(Verdict.DROP, offer(ip("198.51.100.9"), false, true), "strangers find it full");
        InetAddress peer = ip("192.0.2.1");
        for (int i = 0; i < LIMITS.maxHalfOpenPerSource(); i++) {
            assertEquals(Verdict.ADMIT, offer(peer, true, true), "the configured peer keeps its own capacity");
        }
        assertEquals(Verdict.DROP, offer(peer, true, true), "up to its per-source limit");
    }

    @Test
    void leavingHalfOpenFreesTheSlotInItsPool() throws Exception {
        InetAddress a = ip("198.51.100.1");
        IkeSa sa = new IkeSa(engine, false, 1, null, java.util.List.of());
        table.add("k", a, sa, false);
        assertEquals(1, table.shared());
        assertEquals(1, table.from(a));
        table.remove(sa);
        assertEquals(0, table.shared());
        assertEquals(0, table.from(a));
        assertEquals(0, table.total());
        IkeSa peerSa = new IkeSa(engine, false, 2, null, java.util.List.of());
        table.add("k2", a, peerSa, true);
        assertEquals(0, table.shared(), "a configured peer's SA is not in the shared pool");
        assertEquals(1, table.total());
    }
}
