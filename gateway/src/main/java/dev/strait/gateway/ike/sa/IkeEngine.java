package dev.strait.gateway.ike.sa;

import dev.strait.gateway.datapath.demux.NattIkeQueue;
import dev.strait.gateway.datapath.spi.Datapath;
import dev.strait.gateway.datapath.spi.NattSocket;
import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeCodec;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.LogSafe;
import dev.strait.gateway.ike.message.MalformedMessageException;
import dev.strait.gateway.ike.message.NotifyType;
import dev.strait.gateway.ike.message.Payload;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IKEv2 daemon core: owns UDP 500 (UDP 4500 arrives through the datapath's {@link NattSocket}), routes each
 * message to its IKE SA by SPI, creates responder SAs for new IKE_SA_INIT requests and keeps the configured tunnels.
 */
public final class IkeEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IkeEngine.class);

    /**
     * @param ikeBind               address and port for IKE (normally 500)
     * @param nattPort              the NAT-T port the datapath binds (normally 4500)
     * @param forceUdpEncapsulation ask every peer to encapsulate, whatever the tunnel says: the userspace datapath only
     *                              does ESP in UDP (IKE-only mode leaves it to each tunnel's spec.encapsulation)
     * @param retransmits           delays between retransmissions; the request fails after the last one
     * @param reconnectMax          cap of the reconnect back-off
     * @param pathMtu               path MTU towards peers: protected IKE messages larger than it are fragmented
     * @param dos                   limits on half-open IKE SAs and when cookies start (RFC 7296 2.6, RFC 8019)
     * @param natKeepalive          NAT keepalive interval (RFC 3948 section 4) on idle UDP-encapsulated SAs; zero: none
     */
    public record Settings(InetSocketAddress ikeBind, int nattPort, boolean forceUdpEncapsulation, List<Duration> retransmits,
                           Duration reconnectMax, int pathMtu, DosLimits dos, Duration natKeepalive) {
        public static final Duration DEFAULT_NAT_KEEPALIVE = Duration.ofSeconds(20);

        public Settings(InetSocketAddress ikeBind, int nattPort, boolean forceUdpEncapsulation, List<Duration> retransmits,
                        Duration reconnectMax) {
            this(ikeBind, nattPort, forceUdpEncapsulation, retransmits, reconnectMax, 1500, DosLimits.DEFAULTS, DEFAULT_NAT_KEEPALIVE);
        }

        public static Settings defaults(InetSocketAddress ikeBind, int nattPort) {
            return new Settings(ikeBind, nattPort, true,
                    List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8)),
                    Duration.ofSeconds(8));
        }

        public Settings withPathMtu(int mtu) {
            return new Settings(ikeBind, nattPort, forceUdpEncapsulation, retransmits, reconnectMax, mtu, dos, natKeepalive);
        }

        public Settings withDos(DosLimits limits) {
            return new Settings(ikeBind, nattPort, forceUdpEncapsulation, retransmits, reconnectMax, pathMtu, limits, natKeepalive);
        }

        public Settings withForceUdpEncapsulation(boolean force) {
            return new Settings(ikeBind, nattPort, force, retransmits, reconnectMax, pathMtu, dos, natKeepalive);
        }

        public Settings withNatKeepalive(Duration interval) {
            return new Settings(ikeBind, nattPort, forceUdpEncapsulation, retransmits, reconnectMax, pathMtu, dos, interval);
        }
    }

    /**
     * @param cookieThreshold half-open SAs above which IKE_SA_INIT must carry a valid cookie
     * @param maxHalfOpen     half-open SAs in total; beyond it new IKE_SA_INITs are dropped
     * @param maxHalfOpenPerSource half-open SAs per peer address
     */
    public record DosLimits(int cookieThreshold, int maxHalfOpen, int maxHalfOpenPerSource) {
        public static final DosLimits DEFAULTS = new DosLimits(32, 2048, 16);

        /**
         * Half-open SAs from one address above which its IKE_SA_INITs must echo a cookie: half the per-source limit,
         * so a blind spoofer using a peer's address leaves the other half to the peer, who can echo cookies.
         */
        public int cookieThresholdPerSource() {
            return maxHalfOpenPerSource / 2;
        }
    }

    private final Settings settings;
    private final EngineListener listener;
    private final SecureRandom random = new SecureRandom();
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final Clock clock;
    private final Map<Long, IkeSa> sas = new ConcurrentHashMap<>();
    /** Responder SAs by (initiator SPI, peer address), so a retransmitted IKE_SA_INIT reuses the same SA. */
    private final HalfOpenTable halfOpen = new HalfOpenTable();
    private final InitAdmission admission;
    private final Cookies cookies;
    /** Warnings about what anyone can send: a flood must not flood the log too. */
    private final ThrottledWarnings warnings;
    /** IKE datagrams from the NAT-T port, off the ESP receive thread; created by start. */
    private volatile NattIkeQueue nattQueue;
    private final Map<String, TunnelRuntime> tunnels = new LinkedHashMap<>();
    /** Candidate tunnels per peer address; rebuilt lazily after {@link #apply} (guarded by this). */
    private CandidateIndex candidateIndex;
    private final Set<String> contacted = ConcurrentHashMap.newKeySet();
    private final Set<Integer> childSpis = ConcurrentHashMap.newKeySet();
    private volatile Transport transport;
    private volatile Datapath datapath;
    private volatile boolean closed;

    public IkeEngine(Settings settings, EngineListener listener) {
        this(settings, listener, Clock.system());
    }

    /** An engine on the given clock; it closes the clock when it closes. */
    public IkeEngine(Settings settings, EngineListener listener, Clock clock) {
        this.settings = settings;
        this.listener = listener == null ? EngineListener.NONE : listener;
        this.clock = clock;
        this.admission = new InitAdmission(settings.dos(), halfOpen);
        this.cookies = new Cookies(random, Duration.ofMinutes(2), clock::nanoTime);
        this.warnings = new ThrottledWarnings(LOG, clock::nanoTime);
    }

    /** Binds UDP 500 and starts receiving; natt and datapath come from {@code Datapaths.start}. */
    public void start(Datapath datapath, NattSocket natt) throws IOException {
        start(datapath, new UdpTransport(settings.ikeBind(), natt, settings.nattPort()));
    }

    /** Starts on any transport: datagrams leave through it and arrive from it. */
    public void start(Datapath datapath, Transport transport) throws IOException {
        this.datapath = datapath;
        this.transport = transport;
        nattQueue = new NattIkeQueue(NattIkeQueue.CAPACITY, d -> dispatch(d.bytes(), d.from(), true));
        transport.start(this::dispatch);
    }

    public int ikePort() {
        return transport.ikePort();
    }

    public int nattPort() {
        return transport.nattPort();
    }

    /**
     * The handler the datapath calls, on its ESP receive thread, for IKE messages on UDP 4500 (non-ESP marker already
     * removed): they wait for the IKE worker in a bounded queue, and are dropped when it is full.
     */
    public void onNattPacket(byte[] buf, int off, int len, InetSocketAddress from) {
        NattIkeQueue q = nattQueue;
        if (q == null || closed) {
            return;
        }
        if (q.full() || !q.offer(java.util.Arrays.copyOfRange(buf, off, off + len), from)) { // no copy when full
            drop(IkeDrop.QUEUE_FULL, "IKE datagram from {} on the NAT-T port: IKE worker queue full, dropping", from);
        }
    }

    /** Counts a dropped datagram; logs it at most once per reason per 10 s. {@code args} are escaped for the log. */
    void drop(IkeDrop reason, String format, Object... args) {
        listener.dropped(reason);
        warnings.warn(reason.label(), format, args);
    }

    /** Routes one datagram; never throws: bad input is counted and dropped. */
    void dispatch(byte[] raw, InetSocketAddress from, boolean viaNatt) {
        if (closed || datapath == null) {
            return;
        }
        IkeMessage m;
        try {
            m = IkeCodec.decode(raw, 0, raw.length);
        } catch (MalformedMessageException | RuntimeException e) {
            drop(IkeDrop.MALFORMED, "dropping malformed IKE datagram from {}: {}", from, LogSafe.text(e.getMessage()));
            return;
        }
        if (m.exchangeType() == ExchangeType.IKE_SA_INIT && !m.isResponse() && m.responderSpi() == 0) {
            onInitRequest(m, raw, from, viaNatt);
            return;
        }
        long ours = m.fromInitiator() ? m.responderSpi() : m.initiatorSpi();
        IkeSa sa = sas.get(ours);
        if (sa == null) {
            drop(IkeDrop.UNKNOWN_SPI, "dropping {} from {}: no IKE SA has SPI {}", ExchangeType.name(m.exchangeType()), from,
                    IkeSa.hex(ours));
            if (!m.isResponse()) {
                onPeerUsesLostSa(from.getAddress());
            }
            return;
        }
        sa.execute(() -> sa.onMessage(m, raw, from, viaNatt));
    }

    private void onInitRequest(IkeMessage m, byte[] raw, InetSocketAddress from, boolean viaNatt) {
        String key = IkeSa.hex(m.initiatorSpi()) + "@" + from;
        IkeSa existing = halfOpen.get(key);
        if (existing != null) {
            existing.execute(() -> existing.onMessage(m, raw, from, viaNatt));
            return;
        }
        CandidateIndex.Candidates candidates = candidatesFor(from.getAddress());
        if (candidates.tunnels().isEmpty()) {
            drop(IkeDrop.UNKNOWN_PEER, "IKE_SA_INIT from {}: no tunnel accepts this peer address; ignoring", from);
            return;
        }
        if (!admit(m, from, viaNatt, candidates.configuredPeer())) {
            return;
        }
        IkeSa sa = new IkeSa(this, false, newSpi(), null, candidates.tunnels());
        sas.put(sa.localSpi(), sa);
        halfOpen.add(key, from.getAddress(), sa, candidates.configuredPeer());
        sa.execute(() -> {
            if (sa.respondInit(m, from, viaNatt, raw)) {
                sa.expireIfHalfOpen(totalRetransmitTime().plusSeconds(5));
            } else {
                unregister(sa);
            }
        });
    }

    /**
     * DoS protection before any state or key exchange work ({@link InitAdmission}): answers with a cookie, drops, or
     * lets the request create a half-open SA.
     */
    private boolean admit(IkeMessage m, InetSocketAddress from, boolean viaNatt, boolean configuredPeer) {
        byte[] ni = m.first(Payload.Nonce.class).map(Payload.Nonce::data).orElse(new byte[0]);
        InitAdmission.Verdict verdict = admission.decide(from.getAddress(), configuredPeer, () -> cookies.valid(
                m.notify(NotifyType.COOKIE).map(Payload.Notify::data).orElse(null), ni, from.getAddress(), m.initiatorSpi()));
        switch (verdict) {
            case ASK_COOKIE -> {
                IkeMessage answer = new IkeMessage(m.initiatorSpi(), 0, ExchangeType.IKE_SA_INIT, IkeMessage.FLAG_RESPONSE, 0,
                        List.of(Payload.Notify.of(NotifyType.COOKIE,
                                cookies.make(ni, from.getAddress(), m.initiatorSpi()))));
                send(IkeCodec.encode(answer), from, viaNatt);
                listener.cookieSent();
                return false;
            }
            case DROP -> {
                drop(IkeDrop.HALF_OPEN_LIMIT, "dropping IKE_SA_INIT from {}: {} half-open IKE SAs ({} from this address)",
                        from.getAddress(), halfOpen.total(), halfOpen.from(from.getAddress()));
                return false;
            }
            default -> {
                return true;
            }
        }
    }

    /**
     * A peer sent an IKE request or ESP for an SA we do not have (RFC 7296 section 2.21.4: likely we restarted): the
     * Passive tunnels configured with its address contact it (see {@link TunnelRuntime#peerUsesLostSa}).
     */
    public void onPeerUsesLostSa(InetAddress peer) {
        candidatesFor(peer).exactTunnels().forEach(TunnelRuntime::peerUsesLostSa);
    }

    /** Half-open responder SAs right now (for the gauge). */
    public int halfOpenCount() {
        return halfOpen.total();
    }

    /** A responder SA finished IKE_AUTH (or failed): it no longer counts as half-open. */
    void leftHalfOpen(IkeSa sa) {
        halfOpen.remove(sa);
    }

    private synchronized CandidateIndex.Candidates candidatesFor(InetAddress peer) {
        if (candidateIndex == null) {
            candidateIndex = CandidateIndex.of(tunnels.values());
        }
        return candidateIndex.forPeer(peer);
    }


    /**
     * Applies a new set of tunnels: new ones start, removed ones are deleted with an IKE DELETE, changed ones are
     * re-established, unchanged ones (same fingerprint) are not touched.
     */
    public synchronized void apply(Collection<TunnelDefinition> definitions) {
        candidateIndex = null;
        Map<String, TunnelDefinition> wanted = new LinkedHashMap<>();
        definitions.forEach(d -> wanted.put(d.name(), d));
        for (var it = tunnels.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            TunnelDefinition w = wanted.get(e.getKey());
            if (w == null || !w.fingerprint().equals(e.getValue().definition().fingerprint())) {
                LOG.info("tunnel {}: {}", e.getKey(), w == null ? "removed from config" : "config changed, re-establishing");
                e.getValue().stop();
                datapath.removeTunnel(e.getKey());
                it.remove();
                // Our SAs are deleted: the next IKE_AUTH says INITIAL_CONTACT again, so that the peer drops any SA
                // with this identity it still holds (another replica's, after a standby round trip).
                contacted.remove(e.getKey());
            } else if (w.usesCertificates()) {
                // Same config, possibly renewed certificate files: new IKE SAs use them, running ones stay up.
                e.getValue().replaceDefinition(w);
            }
        }
        for (TunnelDefinition d : wanted.values()) {
            if (!tunnels.containsKey(d.name())) {
                TunnelRuntime t = new TunnelRuntime(this, d);
                tunnels.put(d.name(), t);
                datapath.addTunnel(d.name(), d.localSubnets(), d.remoteSubnets(),
                        d.initiation() == dev.strait.api.v1alpha1.TunnelSpec.Initiation.OnTraffic);
                t.start();
            }
        }
    }

    /** The IKE SA currently carrying a tunnel, or null. */
    synchronized IkeSa currentSa(String tunnel) {
        TunnelRuntime t = tunnels.get(tunnel);
        return t == null ? null : t.current();
    }

    /** The runtime of a configured tunnel, or null (rekey tells an unknown tunnel from one not established). */
    synchronized TunnelRuntime runtime(String tunnel) {
        return tunnels.get(tunnel);
    }

    /** Starts a tunnel whose traffic found no SA (initiation OnTraffic). */
    public void acquire(String tunnel) {
        TunnelRuntime t;
        synchronized (this) {
            t = tunnels.get(tunnel);
        }
        if (t != null) {
            t.initiate();
        }
    }

    /** Which SAs an operator rekey replaces: every Child SA of the tunnel's IKE SA, or the IKE SA itself. */
    public enum RekeyTarget { CHILD, IKE }

    /** What an operator rekey found: started, no such tunnel, no established SA to rekey, or the SA did not answer. */
    public enum RekeyOutcome { STARTED, UNKNOWN_TUNNEL, NOT_ESTABLISHED, BUSY }

    /**
     * Starts a rekey now, like {@code swanctl --rekey}: the same exchanges as a lifetime-driven rekey, so collisions
     * with a peer rekeying at the same moment are settled as in RFC 7296 section 2.8.1. Runs on the IKE SA's
     * executor (never concurrently with its exchanges) and waits up to {@code wait} for it to take the request.
     */
    public RekeyOutcome rekey(String tunnel, RekeyTarget target, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        // An IKE SA rekeyed (by the peer) while our request waited for its executor hands the tunnel to its successor:
        // follow it, a few hops at most.
        for (int hop = 0; hop < 3; hop++) {
            IkeSa sa = currentSa(tunnel);
            if (sa == null) {
                return runtime(tunnel) == null ? RekeyOutcome.UNKNOWN_TUNNEL : RekeyOutcome.NOT_ESTABLISHED;
            }
            java.util.concurrent.CompletableFuture<RekeyOutcome> taken = new java.util.concurrent.CompletableFuture<>();
            sa.execute(() -> taken.complete(startRekey(tunnel, sa, target)));
            try {
                RekeyOutcome outcome = taken.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (outcome != null) {
                    return outcome;
                }
            } catch (java.util.concurrent.TimeoutException e) {
                return RekeyOutcome.BUSY; // the task stays queued and may still start the rekey
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return RekeyOutcome.BUSY;
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("rekey of tunnel " + tunnel + " failed", e.getCause());
            }
        }
        return RekeyOutcome.BUSY;
    }

    /** On the SA's executor: starts the rekey, or null when the SA was replaced meanwhile (try its successor). */
    private RekeyOutcome startRekey(String tunnel, IkeSa sa, RekeyTarget target) {
        if (sa.state() == IkeSa.State.REKEYED || (sa.state() == IkeSa.State.ESTABLISHED && sa.tunnel().current() != sa)) {
            return null;
        }
        if (sa.state() != IkeSa.State.ESTABLISHED || (target == RekeyTarget.CHILD && sa.children().isEmpty())) {
            return RekeyOutcome.NOT_ESTABLISHED;
        }
        LOG.info("tunnel {}: operator asked for a {} SA rekey", tunnel, target == RekeyTarget.IKE ? "IKE" : "Child");
        if (target == RekeyTarget.IKE) {
            sa.rekeyIke(null);
        } else {
            List.copyOf(sa.children()).forEach(c -> sa.rekeyChild(c.inboundSpi(), null));
        }
        return RekeyOutcome.STARTED;
    }

    public synchronized List<TunnelSnapshot> snapshot() {
        return tunnels.values().stream().map(TunnelRuntime::snapshot).toList();
    }

    /** Ready when every initiating tunnel has been tried at least once (status tells the rest). */
    public boolean ready() {
        return transport != null && !closed;
    }

    @Override
    public void close() {
        List<TunnelRuntime> all;
        synchronized (this) {
            all = new ArrayList<>(tunnels.values());
        }
        all.forEach(TunnelRuntime::stop);
        // Give the DELETEs a moment to leave and be answered.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < deadline && sas.values().stream().anyMatch(s -> s.state() != IkeSa.State.CLOSED)) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        closed = true;
        if (nattQueue != null) {
            nattQueue.close();
        }
        if (transport != null) {
            transport.close();
        }
        clock.close();
        workers.shutdownNow();
    }

    // ---------------------------------------------------------------- services for IkeSa and TunnelRuntime

    IkeSa newInitiatorSa(TunnelRuntime tunnel) {
        IkeSa sa = new IkeSa(this, true, newSpi(), tunnel, List.of(tunnel));
        sas.put(sa.localSpi(), sa);
        return sa;
    }

    void unregister(IkeSa sa) {
        sas.remove(sa.localSpi(), sa);
        halfOpen.remove(sa);
    }

    /** Whether an IKE SA for this tunnel (or, as responder, possibly for it) is being set up or is up. */
    boolean negotiating(TunnelRuntime tunnel) {
        return sas.values().stream().anyMatch(s -> s.state() != IkeSa.State.CLOSED
                && (s.tunnel() == tunnel || (s.tunnel() == null && s.candidates().contains(tunnel))));
    }

    boolean isFirstContact(String tunnel) {
        return contacted.add(tunnel);
    }

    /** INITIAL_CONTACT: closes, without a message, every IKE SA of the tunnel except the one just authenticated. */
    void dropOtherSas(TunnelRuntime tunnel, IkeSa keep) {
        for (IkeSa s : sas.values()) {
            if (s != keep && s.tunnel() == tunnel) {
                LOG.info("tunnel {}: peer sent INITIAL_CONTACT, dropping stale IKE SA {}", tunnel.name(), IkeSa.hex(s.localSpi()));
                s.execute(s::closeSilently);
            }
        }
    }

    void register(IkeSa sa) {
        sas.put(sa.localSpi(), sa);
    }

    /** The datapath says a Child SA nears its sequence-number limit: rekey it on the SA that owns it. */
    public void onRekeyNeeded(int inboundSpi) {
        for (IkeSa sa : sas.values()) {
            if (sa.children().stream().anyMatch(c -> c.inboundSpi() == inboundSpi)) {
                sa.execute(() -> sa.rekeyChild(inboundSpi, null));
                return;
            }
        }
    }

    long newSpi() {
        long spi;
        do {
            spi = random.nextLong();
        } while (spi == 0 || sas.containsKey(spi));
        return spi;
    }

    int allocateChildSpi() {
        int spi;
        do {
            spi = random.nextInt();
        } while (Integer.compareUnsigned(spi, 256) < 0 || !childSpis.add(spi)); // SPIs 0-255 are reserved by IANA
        return spi;
    }

    void releaseChildSpi(int spi) {
        childSpis.remove(spi);
    }

    byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    void send(byte[] message, InetSocketAddress to, boolean viaNatt) {
        transport.send(message, to, viaNatt);
    }

    /** One NAT keepalive (RFC 3948 section 2.3) from our NAT-T port to the peer's ESP address. */
    void sendNatKeepalive(InetSocketAddress to) {
        transport.sendNatKeepalive(to);
    }

    /** Our address towards a peer, as the routing table picks it. */
    InetSocketAddress localAddressFor(InetSocketAddress peer, int port) {
        return transport.localAddressFor(peer, port);
    }

    Duration retransmitDelay(int attempt) {
        return attempt < settings.retransmits().size() ? settings.retransmits().get(attempt) : null;
    }

    private Duration totalRetransmitTime() {
        return settings.retransmits().stream().reduce(Duration.ZERO, Duration::plus);
    }

    Clock.Timer schedule(IkeSa sa, Runnable task, Duration delay) {
        return clock.after(delay, () -> sa.execute(task));
    }

    Clock.Timer scheduleRepeating(IkeSa sa, Runnable task, Duration period) {
        return clock.every(Duration.ofMillis(Math.max(100, period.toMillis())), () -> sa.execute(task));
    }

    Clock.Timer timer(Runnable task, Duration delay) {
        return clock.after(delay, () -> workers.execute(task));
    }

    Clock clock() {
        return clock;
    }

    long lastEspInbound(IkeSaContext sa) {
        long last = 0;
        for (IkeSa.Child c : sa.children()) {
            Datapath.SaCounters k = datapath.counters(c.inboundSpi());
            if (k != null) {
                last = Math.max(last, k.lastInboundNanos());
            }
        }
        return last;
    }

    ExecutorService workers() {
        return workers;
    }

    EngineListener listener() {
        return listener;
    }

    ThrottledWarnings warnings() {
        return warnings;
    }

    Datapath datapath() {
        return datapath;
    }

    Settings settings() {
        return settings;
    }

    boolean forceUdpEncapsulation() {
        return settings.forceUdpEncapsulation();
    }

    /** Diagnostic counts for /status. */
    public Map<String, Integer> saCounts() {
        Map<String, Integer> out = new HashMap<>();
        sas.values().forEach(s -> out.merge(s.state() == null ? "NEW" : s.state().name(), 1, Integer::sum));
        return out;
    }
}
