package dev.strait.gateway.ike.sa;

import dev.strait.gateway.datapath.spi.ChildSaSpec;
import dev.strait.gateway.datapath.spi.Datapath;
import dev.strait.gateway.ike.auth.SignatureHash;
import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.KeyDerivation;
import dev.strait.gateway.ike.crypto.PrfFunction;
import dev.strait.gateway.ike.crypto.SkCipher;
import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.IkePorts;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.sa.ProposalMatcher.EspChoice;
import dev.strait.gateway.ike.sa.ProposalMatcher.IkeChoice;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One IKE SA in either role (RFC 7296 sections 1.2-1.4, 2.1-2.4): its state, which its tasks reach through
 * {@link IkeSaContext}, and the tasks and responders its {@link TaskManager} runs. Every method runs on the SA's
 * serial executor, so the state below needs no locks.
 */
final class IkeSa implements IkeSaContext.Setup {
    private static final Logger LOG = LoggerFactory.getLogger(IkeSa.class);
    static final int NONCE_LENGTH = 32;

    /** REKEYED: the children moved to a successor IKE SA; this one only waits for its DELETE. */
    enum State { INIT_SENT, AUTH_SENT, RESPONDER_INIT_DONE, ESTABLISHED, REKEYED, DELETING, CLOSED }

    /**
     * A Child SA carried by this IKE SA. rekeyAt / expireAt (null: no lifetime) travel with the child when it moves to
     * a rekeyed IKE SA, so the new owner can reschedule them.
     */
    record Child(int inboundSpi, int outboundSpi, EspChoice esp, List<Payload.TrafficSelector> localTs,
                 List<Payload.TrafficSelector> remoteTs, Instant establishedAt, Instant rekeyAt, Instant expireAt) {
    }

    private final IkeEngine engine;
    private final SerialExecutor executor;
    private final boolean initiator;
    private final long localSpi;
    private final Instant createdAt;
    /** Responder: the tunnels this SA may turn out to be for, until IDi names one (read by the engine, hence volatile). */
    private volatile List<TunnelRuntime> candidates;
    private volatile TunnelRuntime tunnel;

    private State state;
    private long spiI;
    private long spiR;
    private InetSocketAddress remote;
    private InetSocketAddress localAddress;
    /** IKE currently travels on the NAT-T port (with the non-ESP marker). */
    private boolean natt;
    private boolean natDetected;
    /** ESP goes in UDP (RFC 3948): a NAT was detected or encapsulation is forced. */
    private boolean udpEncap;

    private byte[] ni;
    private byte[] nr;
    private byte[] firstMessageI;
    private byte[] firstMessageR;
    private IkeChoice ikeChoice;
    private PrfFunction prf;
    private KeyDerivation.IkeKeys keys;
    /** The responder announced CHILDLESS_IKEV2_SUPPORTED in IKE_SA_INIT (RFC 6023 section 3). */
    private boolean peerSupportsChildless;
    /** RFC 7427: the hashes the peer announced in IKE_SA_INIT (empty: it sent no SIGNATURE_HASH_ALGORITHMS). */
    private java.util.Set<SignatureHash> peerSignatureHashes = java.util.Set.of();

    /** CERTREQs the responder sent in its IKE_SA_INIT response (initiator side). */
    private List<Payload.CertReq> peerInitCertReqs = List.of();
    /** RFC 7383: both sides announced fragmentation in IKE_SA_INIT, so large protected messages go out as SKFs. */
    private boolean fragmentation;
    private Instant establishedAt;
    private final List<Child> children = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile long lastInboundNanos;
    /** Responder: the timer that forgets this SA should IKE_AUTH never come. */
    private Clock.Timer halfOpenExpiry;

    // The parts of this SA's work that have a class of their own, all on this SA's executor.
    /** Every timer this SA has queued: close() and handOver() cancel them all. */
    private final SaTimers timers;
    /** Seals and opens SK / SKF payloads with the current keys. */
    private final SkChannel sk;
    /** Our tasks (one outstanding request, window size 1, and the queue behind it) and the peer's requests. */
    private final TaskManager tasks;
    /** When this SA and its Child SAs are rekeyed, replaced or probed for liveness. */
    private final SaLifetimes lifetimes;
    /** Our rekeys of this IKE SA and the peer's (section 2.18). */
    private final IkeRekeying ikeRekeying;
    /** Our CREATE_CHILD_SA exchanges for Child SAs (rekeys, additional ones) and the peer's. */
    private final ChildSaExchanges childSas;
    /** IKE_SA_INIT, both roles. */
    private final IkeInitExchange init;
    /** IKE_INTERMEDIATE and IKE_AUTH, both roles. */
    private final IkeAuthExchange auth;
    /** INFORMATIONAL: deletes and liveness checks, both roles. */
    private final InformationalExchange informational;

    // Additional Child SAs (RFC 7296 section 1.3.1) for subnet pairs the peer left out of the IKE_AUTH Child SA.
    /** Set on the IKE SA we initiated (and inherited by its rekeyed successors): we create the missing children. */
    private boolean drivesAdditionalChildren;

    IkeSa(IkeEngine engine, boolean initiator, long localSpi, TunnelRuntime tunnel, List<TunnelRuntime> candidates) {
        this.engine = engine;
        this.executor = new SerialExecutor(engine.workers());
        this.initiator = initiator;
        this.localSpi = localSpi;
        this.tunnel = tunnel;
        this.candidates = candidates;
        this.createdAt = engine.clock().now();
        this.lastInboundNanos = engine.clock().nanoTime();
        this.timers = new SaTimers(this, engine);
        this.sk = new SkChannel(this, engine);
        this.tasks = new TaskManager(this, engine, timers, sk);
        this.lifetimes = new SaLifetimes(this, engine, tasks, timers);
        AdditionalKeyExchanges kes = new AdditionalKeyExchanges(this);
        this.ikeRekeying = new IkeRekeying(this, engine, tasks, timers, kes);
        this.childSas = new ChildSaExchanges(this, engine, tasks, kes);
        ChildSaResponder childResponder = new ChildSaResponder(this, engine, childSas, ikeRekeying, kes);
        this.init = new IkeInitExchange(this, engine);
        this.auth = new IkeAuthExchange(this, engine);
        this.informational = new InformationalExchange(this, engine);
        tasks.respondTo(ExchangeType.IKE_INTERMEDIATE, auth::respondIntermediate);
        tasks.respondTo(ExchangeType.IKE_AUTH, auth::respondAuth);
        tasks.respondTo(ExchangeType.CREATE_CHILD_SA, childResponder::respondCreateChildSa);
        tasks.respondTo(ExchangeType.IKE_FOLLOWUP_KE, childResponder::respondFollowupKe);
        tasks.respondTo(ExchangeType.INFORMATIONAL, informational::respond);
    }

    /**
     * Starts the IKE_SA_INIT exchange; giveUp non-null: the exchange fails after that long instead of after every
     * retransmission (a Passive tunnel's one contact at start).
     */
    void startInitiator(InetSocketAddress peer, Algorithms.Group group, Duration giveUp) {
        init.startInitiator(peer, group, giveUp);
    }

    void startInitiator(InetSocketAddress peer, Algorithms.Group group) {
        init.startInitiator(peer, group);
    }

    /** Runs task on this SA's executor (after whatever it is running). */
    void execute(Runnable task) {
        executor.execute(task);
    }

    /** Handles an IKE_SA_INIT request; returns false when no state should be kept (error answered). */
    boolean respondInit(IkeMessage m, InetSocketAddress from, boolean viaNatt, byte[] raw) {
        return init.respondInit(m, from, viaNatt, raw);
    }

    /** IKE_SA_INIT is done (initiator): IKE_INTERMEDIATE if additional key exchanges were chosen, then IKE_AUTH. */
    @Override
    public void initDone() {
        auth.start();
    }

    /** Sends a liveness check (empty INFORMATIONAL); on no answer the SA is declared dead. */
    @Override
    public void sendLivenessCheck() {
        informational.sendLivenessCheck();
    }

    /** Deletes the IKE SA politely (tunnel removed or daemon stopping), then closes it. */
    @Override
    public void sendDeleteAndClose() {
        informational.sendDeleteAndClose();
    }

    @Override
    public State state() {
        return state;
    }

    @Override
    public String name() {
        return tunnel != null ? tunnel.name() : "(responder " + Long.toHexString(localSpi) + ")";
    }

    // ---------------------------------------------------------------- all protected messages

    /** Entry point for every message of this SA (IKE_SA_INIT responses and retransmissions too), on its executor. */
    void onMessage(IkeMessage m, byte[] raw, InetSocketAddress from, boolean viaNatt) {
        if (state == State.CLOSED) {
            engine.drop(IkeDrop.UNKNOWN_SPI, "dropping {} from {}: IKE SA {} is closed", ExchangeType.name(m.exchangeType()),
                    from, hex(localSpi));
            return;
        }
        if (m.exchangeType() == ExchangeType.IKE_SA_INIT) {
            if (m.isResponse() && state == State.INIT_SENT) {
                tasks.onInitResponse(m, raw, from);
            } else if (m.isResponse() || initiator || !tasks.resendInitResponse()) { // else: a retransmitted IKE_SA_INIT
                unexpected(m, from);
            }
            return;
        }
        if (!sk.ready()) {
            unexpected(m, from);
            return;
        }
        tasks.onProtected(m, raw, from, viaNatt);
    }

    /** An authenticated message from the peer arrived: it is alive. */
    void heardFromPeer() {
        lastInboundNanos = engine.clock().nanoTime();
    }

    /** The peer's request came from from: it moved to 4500 or its NAT mapping changed (RFC 7296 section 2.23). */
    void peerAt(InetSocketAddress from, boolean viaNatt) {
        if (!from.equals(remote)) {
            endpoints(from, viaNatt, new InetSocketAddress(localAddress.getAddress(), viaNatt ? engine.nattPort() : engine.ikePort()));
        }
    }

    void unexpected(IkeMessage m, InetSocketAddress from) {
        engine.drop(IkeDrop.UNEXPECTED, "tunnel {}: dropping unexpected {} {} {} from {}", name(),
                ExchangeType.name(m.exchangeType()), m.isResponse() ? "response" : "request", m.messageId(), from);
    }

    // ---------------------------------------------------------------- CREATE_CHILD_SA (RFC 7296 1.3, 2.8)
    // The exchanges live in IkeRekeying (IKE SA rekeys), ChildSaExchanges (ours for Child SAs) and ChildSaResponder
    // (the peer's for Child SAs); here: dispatching the peer's requests, and the successor IKE SA of a rekey.

    @Override
    public Child childByInbound(int spi) {
        return children.stream().filter(c -> c.inboundSpi() == spi).findFirst().orElse(null);
    }

    /** Retries a rekey the peer answered with TEMPORARY_FAILURE, after a random 1-3 s (RFC 7296 section 2.25). */
    @Override
    public void retryLater(Runnable r) {
        timers.after(Duration.ofMillis(1000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(2000)), r);
    }

    /** The selectors of a message's TSi (initiator true) or TSr payload; empty when it has none. */
    static List<Payload.TrafficSelector> selectors(IkeMessage m, boolean initiator) {
        return m.all(Payload.TrafficSelectors.class).filter(x -> x.initiator() == initiator)
                .findFirst().map(Payload.TrafficSelectors::selectors).orElse(List.of());
    }

    static Payload.Notify notify(int type, byte[] data) {
        return Payload.Notify.of(type, data);
    }

    /** Rekeys one Child SA (make-before-break): new SA installed first, the old one deleted afterwards. */
    @Override
    public void rekeyChild(int oldInbound, Algorithms.Group forcedGroup) {
        childSas.rekeyChild(oldInbound, forcedGroup);
    }

    /** Rekeys this IKE SA (section 2.18): new SPIs and keys from SK_d; the children move to the successor. */
    @Override
    public void rekeyIke(Algorithms.Group forcedGroup) {
        ikeRekeying.rekeyIke(forcedGroup);
    }

    /** Moves the children to the successor and makes it the tunnel's IKE SA; this one is left REKEYED. */
    @Override
    public void handOver(IkeSa next) {
        next.inheritedRetiring = childSas.retiring();
        next.children.addAll(children);
        children.clear();
        state = State.REKEYED;
        timers.cancelAll();
        tasks.dropQueued();
        tunnel.onIkeRekeyed(this, next);
    }

    /** Children the rekeyed predecessor was deleting when it handed them over (see ChildSaExchanges.retiring). */
    private List<Child> inheritedRetiring = List.of();

    /** Runs on the successor's executor once it is registered: timers for itself and its inherited children. */
    void startAsSuccessor() {
        LOG.info("tunnel {}: IKE SA {} ({}) took over {} Child SA(s)", name(), hex(localSpi), initiator ? "initiator" : "responder",
                children.size());
        lifetimes.scheduleDpd();
        lifetimes.scheduleNatKeepalive();
        lifetimes.scheduleIkeLifetime();
        children.forEach(lifetimes::scheduleChildLifetime);
        tunnel.onChildChanged(this);
        inheritedRetiring.forEach(childSas::deleteChild); // their DELETE on the old IKE SA was dropped or went unanswered
        inheritedRetiring = List.of();
        childSas.createMissingChildren(); // a new IKE SA: pairs the peer refused on the old one get one more try
    }

    /** A successor that lost a rekey collision and holds no children: deleted unless the peer already did. */
    void closeIfRedundant() {
        timers.after(engine.settings().retransmits().stream().reduce(Duration.ZERO, Duration::plus).plusSeconds(2), () -> {
            if (state == State.ESTABLISHED && children.isEmpty() && tunnel.current() != this) {
                sendDeleteAndClose();
            }
        });
    }

    // ---------------------------------------------------------------- shared machinery

    /**
     * Responder: forgets this SA if IKE_AUTH has not completed within halfOpenWindow (the initiator's retransmissions and
     * some slack). The timer goes as soon as the SA is established, so it holds no established SA.
     */
    void expireIfHalfOpen(Duration halfOpenWindow) {
        halfOpenExpiry = timers.after(halfOpenWindow, () -> {
            engine.leftHalfOpen(this);
            if (state == State.RESPONDER_INIT_DONE) {
                LOG.info("half-open IKE SA from {} expired without IKE_AUTH", remote);
                close(false);
            }
        });
    }

    @Override
    public void establish(boolean peerSentInitialContact) {
        if (state == State.ESTABLISHED) {
            return;
        }
        state = State.ESTABLISHED;
        establishedAt = engine.clock().now();
        engine.leftHalfOpen(this);
        if (halfOpenExpiry != null) {
            halfOpenExpiry.cancel();
        }
        LOG.info("tunnel {}: IKE SA established with {} ({}, {} {}, NAT {})", name(), remote, ikeChoice.describe(),
                initiator ? "initiator" : "responder", hex(spiI) + "/" + hex(spiR), natDetected ? "detected" : "not detected");
        engine.listener().ikeSaEstablished(name(), Duration.between(createdAt, establishedAt));
        tunnel.onIkeEstablished(this, peerSentInitialContact);
        lifetimes.scheduleDpd();
        lifetimes.scheduleNatKeepalive();
        lifetimes.scheduleIkeLifetime();
    }

    /**
     * secrets: the KE secret and those of the IKE_FOLLOWUP_KE exchanges, in order (RFC 9370 section 2.2.4); empty: no PFS.
     * outbound: AFTER_PEER when we answered the peer's rekey (make-before-break as responder).
     */
    @Override
    public Child installChild(int inboundSpi, EspChoice esp, List<byte[]> secrets, byte[] nonceI, byte[] nonceR,
                       boolean exchangeInitiator, List<Payload.TrafficSelector> tsi, List<Payload.TrafficSelector> tsr,
                       Datapath.Outbound outbound) {
        Algorithms.Encr encr = esp.encr().alg();
        int encLen = encr.keyMaterialLength(esp.encr().keyBits());
        int integLen = esp.integ() == null ? 0 : esp.integ().keyLength;
        KeyDerivation.ChildKeys k = KeyDerivation.childSaKeysFromSecrets(prf, keys.skD(), secrets, nonceI, nonceR, encLen, integLen);
        List<Payload.TrafficSelector> localTs = exchangeInitiator ? tsi : tsr;
        List<Payload.TrafficSelector> remoteTs = exchangeInitiator ? tsr : tsi;
        int outboundSpi = esp.peerSpi();
        byte[] inEnc = exchangeInitiator ? k.encR() : k.encI();
        byte[] inInteg = exchangeInitiator ? k.integR() : k.integI();
        byte[] outEnc = exchangeInitiator ? k.encI() : k.encR();
        byte[] outInteg = exchangeInitiator ? k.integI() : k.integR();
        InetSocketAddress espPeer = espPeer();
        ChildSaSpec spec = new ChildSaSpec(name(), inboundSpi, outboundSpi, encr, esp.encr().keyBits(), esp.integ(), esp.esn(),
                inEnc, inInteg, outEnc, outInteg, TrafficSelectors.toCidrs(localTs), TrafficSelectors.toCidrs(remoteTs), espPeer);
        Instant now = engine.clock().now();
        Duration life = tunnel.definition().childRekeyAfter();
        Child child = new Child(inboundSpi, outboundSpi, esp, localTs, remoteTs, now,
                life.isZero() ? null : now.plus(Lifetimes.rekeyAfter(life)), life.isZero() ? null : now.plus(Lifetimes.hardLimit(life)));
        // The IKE SA's first Child SA is announced by the "IKE SA established" line: one INFO line per tunnel set-up.
        org.slf4j.event.Level level = children.isEmpty() ? org.slf4j.event.Level.DEBUG : org.slf4j.event.Level.INFO;
        children.add(child);
        engine.datapath().installChildSa(spec, outbound);
        if (LOG.isEnabledForLevel(level)) {
            LOG.atLevel(level).log("tunnel {}: Child SA installed {} <-> {} ({}, SPIs in {} out {})", name(),
                    TrafficSelectors.describe(localTs), TrafficSelectors.describe(remoteTs), esp.describe(), hex32(inboundSpi),
                    hex32(outboundSpi));
        }
        lifetimes.scheduleChildLifetime(child);
        tunnel.onChildChanged(this);
        return child;
    }

    /** Where ESP (and NAT keepalives) go: the peer's NAT-T address, or its 4500 when IKE still runs on 500. */
    @Override
    public InetSocketAddress espPeer() {
        return new InetSocketAddress(remote.getAddress(), natt ? remote.getPort() : IkePorts.NATT);
    }

    @Override
    public void removeChild(Child c) {
        children.remove(c);
        timers.cancelChild(c.inboundSpi());
        if (tunnel != null) {
            tunnel.retire(engine.datapath().counters(c.inboundSpi())); // rekeyed-away SAs still count in the totals
        }
        engine.datapath().removeChildSa(c.inboundSpi());
        engine.releaseChildSpi(c.inboundSpi());
        if (tunnel != null) {
            tunnel.onChildChanged(this);
        }
    }

    @Override
    public void deriveKeys(byte[] shared) {
        prf = PrfFunction.of(ikeChoice.prf());
        Algorithms.Encr encr = ikeChoice.encr().alg();
        int encLen = encr.keyMaterialLength(ikeChoice.encr().keyBits());
        int integLen = ikeChoice.integ() == null ? 0 : ikeChoice.integ().keyLength;
        keys = KeyDerivation.ikeSaKeys(prf, ni, nr, shared, spiI, spiR, encLen, integLen);
        installIkeCiphers();
    }

    void installIkeCiphers() {
        Algorithms.Encr encr = ikeChoice.encr().alg();
        SkCipher fromInitiator = SkCipher.of(encr, ikeChoice.encr().keyBits(), ikeChoice.integ(), keys.skEi(), keys.skAi());
        SkCipher fromResponder = SkCipher.of(encr, ikeChoice.encr().keyBits(), ikeChoice.integ(), keys.skEr(), keys.skAr());
        sk.install(initiator ? fromInitiator : fromResponder, initiator ? fromResponder : fromInitiator);
    }

    @Override
    public void respond(IkeMessage request, List<Payload> inner) {
        tasks.respond(request, inner);
    }

    @Override
    public int ownFlags(boolean response) {
        return (initiator ? IkeMessage.FLAG_INITIATOR : 0) | (response ? IkeMessage.FLAG_RESPONSE : 0);
    }

    /** Sends one datagram to the peer's current address and port. */
    void sendToPeer(byte[] datagram) {
        engine.send(datagram, remote, natt);
    }

    /** The peer never answered our request (attempts retransmissions, the first sent at startedNanos). */
    void onNoAnswer(int attempt, long startedNanos) {
        String what = state == State.ESTABLISHED ? "liveness check" : state.name();
        LOG.warn("tunnel {}: no answer from {} after {} retransmissions ({})", name(), remote, attempt, what);
        if (state == State.ESTABLISHED && tunnel != null) {
            engine.listener().dpdTimeout(tunnel.name());
            // Close first: /status must never show the reason next to a phase that still says Established.
            close(true);
            tunnel.noteError(FailureReason.PEER_DEAD, "the peer stopped answering for "
                    + Duration.ofNanos(engine.clock().nanoTime() - startedNanos).toSeconds() + " s (liveness check timed out)");
            return;
        } else if (state != State.DELETING && state != State.REKEYED) {
            fail(FailureReason.TIMEOUT, "no answer from " + remote.getAddress().getHostAddress() + " (" + what + ")");
        }
        close(true);
    }

    @Override
    public void fail(FailureReason reason, String message) {
        LOG.warn("tunnel {}: {}", name(), message);
        if (tunnel != null) {
            tunnel.noteError(reason, message);
            if (reason != FailureReason.TIMEOUT) {
                engine.listener().authFailure(tunnel.name(), reason);
            }
        }
        if (state == State.INIT_SENT || state == State.AUTH_SENT || state == State.RESPONDER_INIT_DONE) {
            close(true);
        }
    }

    /** Tears down local state: children out of the datapath, SPI unregistered. notifyTunnel=false for a replaced SA. */
    @Override
    public void close(boolean notifyTunnel) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        tasks.cancelOutstanding();
        timers.cancelAll();
        for (Child c : List.copyOf(children)) {
            removeChild(c);
        }
        engine.unregister(this);
        if (tunnel != null) {
            tunnel.onIkeClosed(this, notifyTunnel);
        }
    }

    /** Closes without any message (the peer replaced this SA after INITIAL_CONTACT, or we are shutting down hard). */
    void closeSilently() {
        close(false);
    }

    @Override
    public long lastInbound() {
        return lastInboundNanos;
    }

    // ---------------------------------------------------------------- IkeSaContext: the state tasks read and set

    @Override public boolean initiator() { return initiator; }
    @Override public long localSpi() { return localSpi; }
    @Override public long spiI() { return spiI; }
    @Override public long spiR() { return spiR; }
    @Override public TunnelRuntime tunnel() { return tunnel; }
    @Override public List<TunnelRuntime> candidates() { return candidates; }
    @Override public InetSocketAddress remote() { return remote; }
    @Override public InetSocketAddress localAddress() { return localAddress; }
    @Override public boolean natt() { return natt; }
    @Override public boolean natDetected() { return natDetected; }
    @Override public boolean udpEncap() { return udpEncap; }
    @Override public boolean fragmentation() { return fragmentation; }
    @Override public IkeChoice ikeChoice() { return ikeChoice; }
    @Override public PrfFunction prf() { return prf; }
    @Override public KeyDerivation.IkeKeys keys() { return keys; }
    @Override public boolean keysInstalled() { return sk.ready(); }
    @Override public byte[] ni() { return ni; }
    @Override public byte[] nr() { return nr; }
    @Override public byte[] firstMessageI() { return firstMessageI; }
    @Override public byte[] firstMessageR() { return firstMessageR; }
    @Override public boolean peerSupportsChildless() { return peerSupportsChildless; }
    @Override public java.util.Set<SignatureHash> peerSignatureHashes() { return peerSignatureHashes; }
    @Override public List<Payload.CertReq> peerInitCertReqs() { return peerInitCertReqs; }
    @Override public List<Child> children() { return children; }
    @Override public boolean drivesAdditionalChildren() { return drivesAdditionalChildren; }
    @Override public TaskManager tasks() { return tasks; }
    @Override public ChildSaExchanges childSas() { return childSas; }
    Instant establishedAt() { return establishedAt; }

    @Override public void state(State s) { state = s; }
    @Override public void spis(long i, long r) { spiI = i; spiR = r; }
    @Override public void nat(boolean detected, boolean encap) { natDetected = detected; udpEncap = encap; }
    @Override public void candidates(List<TunnelRuntime> c) { candidates = c; }
    @Override public void tunnel(TunnelRuntime t) { tunnel = t; }
    @Override public void ni(byte[] n) { ni = n; }
    @Override public void nr(byte[] n) { nr = n; }
    @Override public void firstMessageI(byte[] m) { firstMessageI = m; }
    @Override public void firstMessageR(byte[] m) { firstMessageR = m; }
    @Override public void ikeChoice(IkeChoice c) { ikeChoice = c; }
    @Override public void fragmentation(boolean on) { fragmentation = on; }
    @Override public void peerSupportsChildless(boolean b) { peerSupportsChildless = b; }
    @Override public void peerSignatureHashes(java.util.Set<SignatureHash> h) { peerSignatureHashes = h; }
    @Override public void peerInitCertReqs(List<Payload.CertReq> c) { peerInitCertReqs = c; }
    @Override public void driveAdditionalChildren() { drivesAdditionalChildren = true; }

    @Override
    public void endpoints(InetSocketAddress peer, boolean viaNatt, InetSocketAddress local) {
        remote = peer;
        natt = viaNatt;
        localAddress = local;
    }

    @Override
    public void updateKeys(KeyDerivation.IkeKeys next) {
        keys = next;
        installIkeCiphers();
    }

    @Override
    public IkeSa successor(boolean weInitiated, long newSpiI, long newSpiR, IkeChoice choice, byte[] nonceI, byte[] nonceR,
                           List<byte[]> secrets) {
        IkeSa next = new IkeSa(engine, weInitiated, weInitiated ? newSpiI : newSpiR, tunnel, List.of(tunnel));
        next.state = State.ESTABLISHED;
        next.spiI = newSpiI;
        next.spiR = newSpiR;
        next.remote = remote;
        next.localAddress = localAddress;
        next.natt = natt;
        next.natDetected = natDetected;
        next.udpEncap = udpEncap;
        next.fragmentation = fragmentation;
        next.drivesAdditionalChildren = drivesAdditionalChildren;
        next.ikeChoice = choice;
        next.ni = nonceI;
        next.nr = nonceR;
        next.prf = PrfFunction.of(choice.prf());
        Algorithms.Encr encr = choice.encr().alg();
        int encLen = encr.keyMaterialLength(choice.encr().keyBits());
        int integLen = choice.integ() == null ? 0 : choice.integ().keyLength;
        next.keys = KeyDerivation.rekeyedIkeSaKeysFromSecrets(prf, keys.skD(), next.prf, nonceI, nonceR, secrets, newSpiI,
                newSpiR, encLen, integLen);
        next.installIkeCiphers(); // the rekey's initiator is the new SA's initiator
        next.establishedAt = engine.clock().now();
        return next;
    }

    static String hex(long spi) {
        return String.format("%016x", spi);
    }

    static String hex32(int spi) {
        return String.format("%08x", spi);
    }

}
