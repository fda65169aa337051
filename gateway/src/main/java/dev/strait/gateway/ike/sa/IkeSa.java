package dev.strait.gateway.ike.sa;

import dev.strait.gateway.datapath.ChildSaSpec;
import dev.strait.gateway.datapath.Datapath;
import dev.strait.gateway.ike.auth.AuthenticationException;
import dev.strait.gateway.ike.auth.CertificateAuthentication;
import dev.strait.gateway.ike.auth.Identity;
import dev.strait.gateway.ike.auth.SignatureHash;
import dev.strait.gateway.ike.auth.PskAuthenticator;
import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.KeyDerivation;
import dev.strait.gateway.ike.crypto.KeyExchange;
import dev.strait.gateway.ike.crypto.PrfFunction;
import dev.strait.gateway.ike.crypto.SkCipher;
import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeCodec;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.NotifyType;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.sa.ProposalMatcher.EspChoice;
import dev.strait.gateway.ike.sa.ProposalMatcher.IkeChoice;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One IKE SA and its exchanges, in either role (RFC 7296 sections 1.2-1.4, 2.1-2.4). Every method runs on the SA's
 * serial executor, so the state below needs no locks.
 */
final class IkeSa {
    private static final Logger LOG = LoggerFactory.getLogger(IkeSa.class);
    static final int NONCE_LENGTH = 32;
    private static final int NATT_PORT = 4500;
    /** IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383 section 2.3). */
    static final int FRAGMENTATION_SUPPORTED = 16430;

    /** REKEYED: the children moved to a successor IKE SA; this one only waits for its DELETE. */
    enum State { INIT_SENT, AUTH_SENT, RESPONDER_INIT_DONE, ESTABLISHED, REKEYED, DELETING, CLOSED }

    /**
     * A Child SA carried by this IKE SA. rekeyAt / expireAt (null: no lifetime) travel with the child when it moves to
     * a rekeyed IKE SA, so the new owner can reschedule them.
     */
    record Child(int inboundSpi, int outboundSpi, EspChoice esp, List<Payload.TrafficSelector> localTs,
                 List<Payload.TrafficSelector> remoteTs, Instant establishedAt, Instant rekeyAt, Instant expireAt) {
    }

    final IkeEngine engine;
    final SerialExecutor executor;
    final boolean initiator;
    final long localSpi;
    final Instant createdAt = Instant.now();
    /** Responder: the tunnels this SA may turn out to be for, until IDi names one (read by the engine, hence volatile). */
    volatile List<TunnelRuntime> candidates;
    volatile TunnelRuntime tunnel;

    State state;
    long spiI;
    long spiR;
    InetSocketAddress remote;
    InetSocketAddress localAddress;
    /** IKE currently travels on the NAT-T port (with the non-ESP marker). */
    boolean natt;
    boolean natDetected;
    /** ESP goes in UDP (RFC 3948): a NAT was detected or encapsulation is forced. */
    boolean udpEncap;
    String lastError;

    private KeyExchange ke;
    private byte[] ni;
    private byte[] nr;
    private byte[] cookie;
    /** How long our IKE_SA_INIT is retried (null: every retransmission); kept for the COOKIE and INVALID_KE retries. */
    private Duration initGiveUp;
    private byte[] firstMessageI;
    private byte[] firstMessageR;
    IkeChoice ikeChoice;
    private PrfFunction prf;
    private KeyDerivation.IkeKeys keys;
    private boolean peerSentInitialContact;

    /** Whether the peer's IKE_AUTH said INITIAL_CONTACT (it holds no other IKE SA with us, RFC 7296 2.4). */
    boolean peerSentInitialContact() {
        return peerSentInitialContact;
    }
    /** RFC 7427: the hashes the peer announced in IKE_SA_INIT (empty: it sent no SIGNATURE_HASH_ALGORITHMS). */
    private java.util.Set<SignatureHash> peerSignatureHashes = java.util.Set.of();
    // RFC 9242 / RFC 9370: IKE_INTERMEDIATE exchanges carrying the additional key exchanges of the IKE SA.
    /** Additional key exchanges completed so far. */
    private int additionalKesDone;
    /** The chains IntAuth_i / IntAuth_r over the IKE_INTERMEDIATE messages; null when there were none. */
    private byte[] intAuthI;
    private byte[] intAuthR;
    /** Message ID of the IKE_AUTH request, part of IntAuth. */
    private int authMessageId;
    /** RFC 9370 section 2.2.4: IKE_FOLLOWUP_KE exchange type and the STATE_NOT_FOUND error. */
    static final int IKE_FOLLOWUP_KE = 44;
    static final int STATE_NOT_FOUND = 47;

    /** CERTREQs the responder sent in its IKE_SA_INIT response (initiator side). */
    private List<Payload.CertReq> peerInitCertReqs = List.of();
    /** RFC 7383: both sides announced fragmentation in IKE_SA_INIT, so large protected messages go out as SKFs. */
    boolean fragmentation;
    Instant establishedAt;
    final List<Child> children = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile long lastInboundNanos = System.nanoTime();
    /** Responder: the timer that forgets this SA should IKE_AUTH never come. */
    private ScheduledFuture<?> halfOpenExpiry;

    // The parts of this SA's work that have a class of their own, all on this SA's executor.
    /** Every timer this SA has queued: close() and handOver() cancel them all. */
    private final SaTimers timers;
    /** Seals and opens SK / SKF payloads with the current keys. */
    private final SkChannel sk;
    /** Message IDs and the single outstanding request (window size 1). */
    private final ExchangeWindow window;
    /** When this SA and its Child SAs are rekeyed, replaced or probed for liveness. */
    private final SaLifetimes lifetimes;
    /** Our rekeys of this IKE SA and the peer's (section 2.18). */
    private final IkeRekeying ikeRekeying;
    /** Our CREATE_CHILD_SA exchanges for Child SAs (rekeys, additional ones) and the peer's. */
    private final ChildSaExchanges childSas;
    private final ChildSaResponder childResponder;

    // Additional Child SAs (RFC 7296 section 1.3.1) for subnet pairs the peer left out of the IKE_AUTH Child SA.
    /** Set on the IKE SA we initiated (and inherited by its rekeyed successors): we create the missing children. */
    boolean drivesAdditionalChildren;

    /** The child we are negotiating in IKE_AUTH (initiator side). */
    private int pendingChildSpi;
    private List<Payload.TrafficSelector> offeredTsi;
    private List<Payload.TrafficSelector> offeredTsr;

    IkeSa(IkeEngine engine, boolean initiator, long localSpi, TunnelRuntime tunnel, List<TunnelRuntime> candidates) {
        this.engine = engine;
        this.executor = new SerialExecutor(engine.workers());
        this.initiator = initiator;
        this.localSpi = localSpi;
        this.tunnel = tunnel;
        this.candidates = candidates;
        this.timers = new SaTimers(this, engine);
        this.sk = new SkChannel(this, engine);
        this.window = new ExchangeWindow(this, engine, timers);
        this.lifetimes = new SaLifetimes(this, engine, window, timers);
        AdditionalKeyExchanges kes = new AdditionalKeyExchanges(this);
        this.ikeRekeying = new IkeRekeying(this, engine, window, timers, kes);
        this.childSas = new ChildSaExchanges(this, engine, window, kes);
        this.childResponder = new ChildSaResponder(this, engine, childSas, kes);
    }

    String name() {
        return tunnel != null ? tunnel.name() : "(responder " + Long.toHexString(localSpi) + ")";
    }

    // ---------------------------------------------------------------- initiator: IKE_SA_INIT

    /**
     * Starts the IKE_SA_INIT exchange; giveUp non-null: the exchange fails after that long instead of after every
     * retransmission (a Passive tunnel's one contact at start).
     */
    void startInitiator(InetSocketAddress peer, Algorithms.Group group, Duration giveUp) {
        initGiveUp = giveUp;
        startInitiator(peer, group);
    }

    void startInitiator(InetSocketAddress peer, Algorithms.Group group) {
        TunnelDefinition t = tunnel.definition();
        spiI = localSpi;
        spiR = 0;
        remote = peer;
        natt = false;
        localAddress = engine.localAddressFor(peer, engine.ikePort());
        // A retry after COOKIE keeps every other payload unchanged (RFC 7296 section 2.6): the responder's cookie is a
        // MAC over our Ni, so a fresh nonce would make it invalid and the responder would ask again, forever.
        if (ke == null || ke.group() != group) {
            ke = KeyExchange.generate(group);
        }
        if (ni == null) {
            ni = engine.randomBytes(NONCE_LENGTH);
        }
        state = State.INIT_SENT;
        List<Payload> payloads = new ArrayList<>();
        if (cookie != null) {
            payloads.add(new Payload.Notify(0, new byte[0], NotifyType.COOKIE, cookie));
        }
        payloads.add(new Payload.Sa(ProposalMatcher.ikeOffer(preferGroupFirst(t.ikeProposals(), group), new byte[0])));
        payloads.add(new Payload.KeyExchange(group.id, ke.publicValue()));
        payloads.add(new Payload.Nonce(ni));
        payloads.addAll(natDetectionNotifies(t.forceEncapsulation() || engine.forceUdpEncapsulation()));
        // RFC 6023 section 3: we accept an IKE SA without a Child SA (as responder; our IKE_AUTH always asks for one).
        payloads.add(new Payload.Notify(0, new byte[0], NotifyType.CHILDLESS_IKEV2_SUPPORTED, new byte[0]));
        if (t.fragmentation()) {
            payloads.add(new Payload.Notify(0, new byte[0], FRAGMENTATION_SUPPORTED, new byte[0]));
        }
        if (t.usesCertificates()) {
            payloads.add(t.certificates().signatureHashAlgorithmsNotify());
        }
        if (t.offersAdditionalKes()) {
            payloads.add(new Payload.Notify(0, new byte[0], NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED, new byte[0]));
        }
        IkeMessage request = new IkeMessage(spiI, 0, ExchangeType.IKE_SA_INIT, IkeMessage.FLAG_INITIATOR, 0, payloads);
        byte[] bytes = IkeCodec.encode(request);
        firstMessageI = bytes;
        LOG.info("tunnel {}: IKE_SA_INIT to {} (group {})", name(), peer, group);
        window.sendRequest(0, List.of(bytes), null, this::onInitResponse, initGiveUp);
    }

    /** Puts proposals containing the group we are sending a KE for first, so the responder can pick it. */
    static List<dev.strait.gateway.ike.crypto.IkeProposal> preferGroupFirst(
            List<dev.strait.gateway.ike.crypto.IkeProposal> ps, Algorithms.Group g) {
        List<dev.strait.gateway.ike.crypto.IkeProposal> out = new ArrayList<>();
        for (var p : ps) {
            if (p.groups().contains(g)) {
                List<Algorithms.Group> gs = new ArrayList<>(p.groups());
                gs.remove(g);
                gs.addFirst(g);
                out.add(new dev.strait.gateway.ike.crypto.IkeProposal(p.encr(), p.prf(), p.integ(), gs, p.additionalKes()));
            }
        }
        ps.stream().filter(p -> !p.groups().contains(g)).forEach(out::add);
        return out;
    }

    private void onInitResponse(IkeMessage m, byte[] raw) {
        if (state != State.INIT_SENT) {
            return;
        }
        TunnelDefinition t = tunnel.definition();
        Optional<Payload.Notify> cookieN = m.notify(NotifyType.COOKIE);
        if (cookieN.isPresent()) {
            cookie = cookieN.get().data();
            LOG.info("tunnel {}: responder asked for a cookie, retrying", name());
            startInitiator(remote, ke.group());
            return;
        }
        Optional<Payload.Notify> invalidKe = m.notify(NotifyType.INVALID_KE_PAYLOAD);
        if (invalidKe.isPresent()) {
            byte[] d = invalidKe.get().data();
            int wanted = d.length == 2 ? (d[0] & 0xff) << 8 | (d[1] & 0xff) : -1;
            Optional<Algorithms.Group> g = t.ikeProposals().stream().flatMap(p -> p.groups().stream())
                    .filter(x -> x.id == wanted).findFirst();
            if (g.isPresent() && g.get() != ke.group()) {
                LOG.info("tunnel {}: peer wants key exchange group {} (INVALID_KE_PAYLOAD), retrying", name(), g.get());
                startInitiator(remote, g.get());
            } else {
                fail("peer_rejected", "peer asked for key exchange group " + wanted + ", which is not in our proposals");
            }
            return;
        }
        Optional<Payload.Notify> error = m.notifies().filter(Payload.Notify::isError).findFirst();
        if (error.isPresent()) {
            fail(error.get().notifyType() == NotifyType.NO_PROPOSAL_CHOSEN ? "no_proposal" : "peer_rejected",
                    "peer answered IKE_SA_INIT with " + notifyName(error.get().notifyType()));
            return;
        }
        Optional<IkeChoice> choice = m.first(Payload.Sa.class).flatMap(sa -> ProposalMatcher.acceptIkeAnswer(sa, t.ikeProposals()));
        Optional<Payload.KeyExchange> kePayload = m.first(Payload.KeyExchange.class);
        Optional<Payload.Nonce> nonce = m.first(Payload.Nonce.class);
        if (choice.isEmpty() || kePayload.isEmpty() || nonce.isEmpty() || m.responderSpi() == 0) {
            fail("peer_rejected", "IKE_SA_INIT response lacks SA, KE or Nr, or chose a proposal we did not offer");
            return;
        }
        if (kePayload.get().group() != ke.group().id || choice.get().group() != ke.group()) {
            fail("peer_rejected", "IKE_SA_INIT response uses a different key exchange group than we sent");
            return;
        }
        ikeChoice = choice.get();
        fragmentation = t.fragmentation() && m.notify(FRAGMENTATION_SUPPORTED).isPresent();
        notePeerSignatureHashes(m);
        peerInitCertReqs = m.all(Payload.CertReq.class).toList();
        spiR = m.responderSpi();
        nr = nonce.get().data();
        firstMessageR = raw;
        byte[] shared;
        try {
            shared = ke.sharedSecret(kePayload.get().data());
        } catch (GeneralSecurityException e) {
            fail("peer_rejected", "peer's key exchange value is invalid");
            return;
        }
        deriveKeys(shared);
        processNatDetection(m, spiI, spiR);
        engine.registerResponderSpi(this);
        if (!ikeChoice.additionalKes().isEmpty()) {
            if (m.notify(NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED).isEmpty()) {
                fail("peer_rejected", "peer chose additional key exchanges without announcing IKE_INTERMEDIATE support");
                return;
            }
            sendIntermediate();
            return;
        }
        sendAuthRequest();
    }

    // ---------------------------------------------------------------- initiator: IKE_INTERMEDIATE (RFC 9242, RFC 9370)

    /** Sends the next additional key exchange (ADDKE n) in its own IKE_INTERMEDIATE exchange. */
    private void sendIntermediate() {
        floatToNattIfNeeded();
        Algorithms.Group group = ikeChoice.additionalKes().get(additionalKesDone);
        KeyExchange kx = KeyExchange.generate(group);
        List<Payload> inner = List.of(new Payload.KeyExchange(group.id, kx.publicValue()));
        int id = window.nextRequestId();
        int flags = ownFlags(false);
        intAuthI = intAuth(intAuthI, keys.skPi(), flags, id, inner);
        byte[] skPr = keys.skPr(); // the response is covered with the keys in effect for this exchange
        List<byte[]> bytes = sk.protect(ExchangeType.IKE_INTERMEDIATE, flags, id, inner);
        LOG.debug("tunnel {}: IKE_INTERMEDIATE {} ({})", name(), additionalKesDone + 1, group);
        window.sendRequest(id, bytes, r -> onIntermediateResponse(group, kx, skPr, r), null);
    }

    private void onIntermediateResponse(Algorithms.Group group, KeyExchange kx, byte[] skPr, IkeMessage r) {
        if (state != State.INIT_SENT) {
            return;
        }
        Optional<Payload.Notify> error = r.notifies().filter(Payload.Notify::isError).findFirst();
        Optional<Payload.KeyExchange> k = r.first(Payload.KeyExchange.class);
        if (error.isPresent() || k.isEmpty() || k.get().group() != group.id) {
            fail("peer_rejected", "IKE_INTERMEDIATE response without KEr for " + dev.strait.gateway.ike.crypto.ProposalFormatter.token(group)
                    + error.map(n -> " (" + notifyName(n.notifyType()) + ")").orElse(""));
            return;
        }
        intAuthR = intAuth(intAuthR, skPr, r.flags(), r.messageId(), r.payloads());
        byte[] shared;
        try {
            shared = kx.sharedSecret(k.get().data());
        } catch (GeneralSecurityException e) {
            fail("peer_rejected", "peer's " + dev.strait.gateway.ike.crypto.ProposalFormatter.token(group) + " key exchange value is invalid");
            return;
        }
        updateKeysWithAdditional(shared);
        if (additionalKesDone < ikeChoice.additionalKes().size()) {
            sendIntermediate();
        } else {
            sendAuthRequest();
        }
    }

    // ---------------------------------------------------------------- initiator: IKE_AUTH

    private void floatToNattIfNeeded() {
        if (udpEncap && !natt) {
            // RFC 7296 section 2.23: the initiator floats to port 4500 once NAT-D says so.
            natt = true;
            remote = new InetSocketAddress(remote.getAddress(), NATT_PORT);
            localAddress = new InetSocketAddress(localAddress.getAddress(), engine.nattPort());
        }
    }

    private void sendAuthRequest() {
        TunnelDefinition t = tunnel.definition();
        floatToNattIfNeeded();
        authMessageId = window.nextRequestId();
        pendingChildSpi = engine.allocateChildSpi();
        offeredTsi = TrafficSelectors.of(t.localSubnets());
        offeredTsr = TrafficSelectors.of(t.remoteSubnets());
        byte[] octets = signedOctets(true, t.localId());
        Payload.Auth ownAuth;
        List<Payload.Cert> ownCerts = List.of();
        if (t.usesCertificates()) {
            try {
                CertificateAuthentication.OwnAuth own = t.certificates().ownAuth(peerSignatureHashes, peerInitCertReqs, octets);
                ownAuth = own.auth();
                ownCerts = own.certificates();
            } catch (AuthenticationException e) {
                fail(e.reason().label(), "cannot authenticate to the peer: " + e.getMessage());
                return;
            }
        } else {
            ownAuth = new Payload.Auth(PskAuthenticator.AUTH_METHOD_PSK, PskAuthenticator.compute(prf, t.psk(), octets));
        }
        // RFC 7296 section 1.2 order: IDi, [CERT+], [N(INITIAL_CONTACT)], [CERTREQ], [IDr], AUTH, SA, TSi, TSr.
        List<Payload> inner = new ArrayList<>();
        inner.add(new Payload.Identification(true, t.localId().idType(), t.localId().data()));
        inner.addAll(ownCerts);
        if (engine.isFirstContact(t.name())) {
            inner.add(new Payload.Notify(0, new byte[0], NotifyType.INITIAL_CONTACT, new byte[0]));
        }
        if (t.usesCertificates()) {
            inner.add(t.certificates().certReq());
        }
        inner.add(new Payload.Identification(false, t.peerId().idType(), t.peerId().data()));
        inner.add(ownAuth);
        inner.add(new Payload.Sa(ProposalMatcher.espOffer(t.espProposals(), pendingChildSpi, false)));
        inner.add(new Payload.TrafficSelectors(true, offeredTsi));
        inner.add(new Payload.TrafficSelectors(false, offeredTsr));
        state = State.AUTH_SENT;
        int id = window.nextRequestId();
        List<byte[]> bytes = sk.protect(ExchangeType.IKE_AUTH, IkeMessage.FLAG_INITIATOR, id, inner);
        window.sendRequest(id, bytes, this::onAuthResponse, null);
    }

    private void onAuthResponse(IkeMessage inner) {
        if (state != State.AUTH_SENT) {
            return;
        }
        TunnelDefinition t = tunnel.definition();
        Optional<Payload.Notify> authFailed = inner.notify(NotifyType.AUTHENTICATION_FAILED);
        if (authFailed.isPresent()) {
            fail("peer_rejected", "peer rejected our authentication (AUTHENTICATION_FAILED): check credentials and identities");
            close(false);
            return;
        }
        Optional<Payload.Identification> idr = inner.first(Payload.Identification.class).filter(i -> !i.initiator());
        Optional<Payload.Auth> auth = inner.first(Payload.Auth.class);
        if (idr.isEmpty() || auth.isEmpty()) {
            Optional<Payload.Notify> err = inner.notifies().filter(Payload.Notify::isError).findFirst();
            fail("peer_rejected", "IKE_AUTH response without IDr/AUTH"
                    + err.map(n -> " (" + notifyName(n.notifyType()) + ")").orElse(""));
            close(false);
            return;
        }
        Identity peerId = new Identity(idr.get().idType(), idr.get().data());
        if (!peerId.matches(t.peerId())) {
            fail("id_mismatch", "peer identified as '" + peerId + "', expected '" + t.peerId() + "'");
            sendDeleteAndClose();
            return;
        }
        Refusal refused = verifyPeerAuth(t, inner, peerId, auth.get());
        if (refused != null) {
            sendDeleteAndClose();
            return;
        }
        establish();
        Optional<Payload.Notify> childError = inner.notifies().filter(Payload.Notify::isError).findFirst();
        if (childError.isPresent()) {
            String reason = childError.get().notifyType() == NotifyType.TS_UNACCEPTABLE ? "ts_unacceptable"
                    : childError.get().notifyType() == NotifyType.NO_PROPOSAL_CHOSEN ? "no_proposal" : "child_failed";
            fail(reason, "IKE SA is up but the peer refused the Child SA: " + notifyName(childError.get().notifyType()));
            sendDeleteAndClose();
            return;
        }
        Optional<Payload.Sa> espAnswer = inner.first(Payload.Sa.class);
        Optional<EspChoice> esp = espAnswer.flatMap(sa -> ProposalMatcher.acceptEspAnswer(sa, t.espProposals(), false));
        List<Payload.TrafficSelector> tsi = selectors(inner, true);
        List<Payload.TrafficSelector> tsr = selectors(inner, false);
        if (espAnswer.isEmpty()) {
            fail("child_failed", "IKE SA is up but the peer created no Child SA (IKE_AUTH response without SA payload or error notify)");
            sendDeleteAndClose();
            return;
        }
        if (esp.isEmpty()) {
            fail("no_proposal", "peer chose an ESP proposal we did not offer");
            sendDeleteAndClose();
            return;
        }
        if (!TrafficSelectors.isSubset(tsi, offeredTsi) || !TrafficSelectors.isSubset(tsr, offeredTsr)) {
            fail("ts_unacceptable", "peer answered with traffic selectors outside the ones we proposed");
            sendDeleteAndClose();
            return;
        }
        installChild(pendingChildSpi, esp.get(), List.of(), ni, nr, initiator, tsi, tsr);
        drivesAdditionalChildren = true;
        childSas.createMissingChildren();
    }

    // ---------------------------------------------------------------- responder: IKE_SA_INIT

    /** Handles an IKE_SA_INIT request; returns false when no state should be kept (error answered). */
    boolean respondInit(IkeMessage m, InetSocketAddress from, boolean viaNatt, byte[] raw) {
        remote = from;
        natt = viaNatt;
        localAddress = engine.localAddressFor(from, viaNatt ? engine.nattPort() : engine.ikePort());
        spiI = m.initiatorSpi();
        spiR = localSpi;
        Optional<Payload.Sa> sa = m.first(Payload.Sa.class);
        Optional<Payload.KeyExchange> kePayload = m.first(Payload.KeyExchange.class);
        Optional<Payload.Nonce> nonce = m.first(Payload.Nonce.class);
        if (sa.isEmpty() || kePayload.isEmpty() || nonce.isEmpty()) {
            refuseInit(m, IkeRejection.INVALID_SYNTAX, NotifyType.INVALID_SYNTAX, "SA, KE or Nonce missing");
            return false;
        }
        CandidateTunnels.Best best = CandidateTunnels.bestIke(candidates, sa.get().proposals(), kePayload.get().group());
        IkeChoice chosen = best.choice();
        TunnelRuntime chosenTunnel = best.tunnel();
        if (chosen == null) {
            refuseInit(m, IkeRejection.NO_PROPOSAL, NotifyType.NO_PROPOSAL_CHOSEN, "no proposal matches any tunnel for this peer");
            return false;
        }
        if (chosen.group().id != kePayload.get().group()) {
            LOG.info("IKE_SA_INIT from {}: asking for group {} (INVALID_KE_PAYLOAD)", from, chosen.group());
            sendUnprotectedError(m, NotifyType.INVALID_KE_PAYLOAD,
                    new byte[] {(byte) (chosen.group().id >> 8), (byte) chosen.group().id});
            return false;
        }
        if (!chosen.additionalKes().isEmpty() && m.notify(NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED).isEmpty()) {
            refuseInit(m, IkeRejection.INVALID_SYNTAX, NotifyType.INVALID_SYNTAX,
                    "additional key exchanges offered without IKE_INTERMEDIATE support");
            return false;
        }
        // Tunnels whose IKE proposals differ from the chosen one cannot be this SA.
        final IkeChoice fixed = chosen;
        candidates = CandidateTunnels.accepting(candidates, fixed.wire());
        ikeChoice = chosen;
        ni = nonce.get().data();
        nr = engine.randomBytes(NONCE_LENGTH);
        ke = KeyExchange.generate(chosen.group());
        byte[] keData;
        byte[] shared;
        try {
            keData = ke.respond(kePayload.get().data());
            shared = ke.sharedSecret(kePayload.get().data());
        } catch (GeneralSecurityException e) {
            refuseInit(m, IkeRejection.INVALID_KE, NotifyType.INVALID_SYNTAX, "invalid key exchange value");
            return false;
        }
        firstMessageI = raw;
        deriveKeys(shared);
        boolean force = chosenTunnel.definition().forceEncapsulation() || engine.forceUdpEncapsulation();
        processNatDetection(m, spiI, 0);
        List<Payload> payloads = new ArrayList<>();
        payloads.add(new Payload.Sa(List.of(chosen.wire())));
        payloads.add(new Payload.KeyExchange(chosen.group().id, keData));
        payloads.add(new Payload.Nonce(nr));
        payloads.addAll(natDetectionNotifies(force));
        if (m.notify(FRAGMENTATION_SUPPORTED).isPresent() && CandidateTunnels.anyFragmentation(candidates)) {
            fragmentation = true;
            payloads.add(new Payload.Notify(0, new byte[0], FRAGMENTATION_SUPPORTED, new byte[0]));
        }
        if (m.notify(NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED).isPresent()) {
            payloads.add(new Payload.Notify(0, new byte[0], NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED, new byte[0]));
        }
        if (m.notify(NotifyType.CHILDLESS_IKEV2_SUPPORTED).isPresent()) {
            payloads.add(new Payload.Notify(0, new byte[0], NotifyType.CHILDLESS_IKEV2_SUPPORTED, new byte[0])); // RFC 6023 section 3
        }
        notePeerSignatureHashes(m);
        List<CertificateAuthentication> certTunnels = CandidateTunnels.certificateAuths(candidates);
        if (!certTunnels.isEmpty()) {
            payloads.add(certTunnels.getFirst().signatureHashAlgorithmsNotify());
            // CERTREQ in IKE_SA_INIT (section 3.7): peers that send certificates only "if asked" need it.
            payloads.add(certReqFor(certTunnels));
        }
        IkeMessage response = new IkeMessage(spiI, spiR, ExchangeType.IKE_SA_INIT, IkeMessage.FLAG_RESPONSE, 0, payloads);
        firstMessageR = IkeCodec.encode(response);
        window.responded(0, List.of(firstMessageR));
        state = State.RESPONDER_INIT_DONE;
        engine.send(firstMessageR, remote, natt);
        return true;
    }

    // ---------------------------------------------------------------- all protected messages

    /** Entry point for every message after IKE_SA_INIT (and INIT responses), on this SA's executor. */
    void onMessage(IkeMessage m, byte[] raw, InetSocketAddress from, boolean viaNatt) {
        if (state == State.CLOSED) {
            engine.drop(IkeDrop.UNKNOWN_SPI, "dropping {} from {}: IKE SA {} is closed", ExchangeType.name(m.exchangeType()),
                    from, hex(localSpi));
            return;
        }
        if (m.exchangeType() == ExchangeType.IKE_SA_INIT) {
            if (m.isResponse() && window.awaits(0) && state == State.INIT_SENT) {
                window.onRawResponse(m, raw);
            } else if (!m.isResponse() && !initiator && window.lastResponseTo(0) != null) {
                engine.send(window.lastResponseTo(0).getFirst(), remote, natt); // retransmitted IKE_SA_INIT
            } else {
                unexpected(m, from);
            }
            return;
        }
        if (!sk.ready()) {
            unexpected(m, from);
            return;
        }
        if (m.isResponse()) {
            if (!window.awaits(m.messageId())) {
                unexpected(m, from); // late or duplicate response
                return;
            }
            List<Payload> inner = sk.decrypt(m, raw);
            if (inner == null) {
                return;
            }
            lastInboundNanos = System.nanoTime();
            window.onResponse(m.withPayloads(inner));
            return;
        }
        // A request from the peer.
        List<byte[]> lastResponse = window.lastResponseTo(m.messageId());
        if (lastResponse != null) {
            // The peer did not get our answer; for a fragmented request, answer its first fragment only (RFC 7383 2.6.1).
            boolean firstOrWhole = m.first(Payload.EncryptedFragment.class).map(f -> f.fragmentNumber() == 1).orElse(true);
            if (firstOrWhole) {
                lastResponse.forEach(b -> engine.send(b, from, viaNatt));
            }
            return;
        }
        if (m.messageId() != window.expectedPeerRequestId()) {
            unexpected(m, from);
            return;
        }
        List<Payload> inner = sk.decrypt(m, raw);
        if (inner == null) {
            return;
        }
        lastInboundNanos = System.nanoTime();
        if (!from.equals(remote)) {
            remote = from; // the peer moved to 4500 or its NAT mapping changed (RFC 7296 section 2.23)
            natt = viaNatt;
            localAddress = new InetSocketAddress(localAddress.getAddress(), viaNatt ? engine.nattPort() : engine.ikePort());
        }
        IkeMessage request = m.withPayloads(inner);
        switch (m.exchangeType()) {
            case ExchangeType.IKE_AUTH -> respondAuth(request);
            case ExchangeType.IKE_INTERMEDIATE -> respondIntermediate(request);
            case IKE_FOLLOWUP_KE -> respondFollowupKe(request);
            case ExchangeType.INFORMATIONAL -> respondInformational(request);
            case ExchangeType.CREATE_CHILD_SA -> respondCreateChildSa(request);
            default -> respond(request, List.of());
        }
    }

    private void unexpected(IkeMessage m, InetSocketAddress from) {
        engine.drop(IkeDrop.UNEXPECTED, "tunnel {}: dropping unexpected {} {} {} from {}", name(),
                ExchangeType.name(m.exchangeType()), m.isResponse() ? "response" : "request", m.messageId(), from);
    }

    // ---------------------------------------------------------------- responder: IKE_AUTH

    /** One additional key exchange (RFC 9370 section 2.2.2): answer with our KE, then update the IKE SA keys. */
    private void respondIntermediate(IkeMessage m) {
        if (state != State.RESPONDER_INIT_DONE || additionalKesDone >= ikeChoice.additionalKes().size()) {
            respond(m, List.of(new Payload.Notify(0, new byte[0], NotifyType.INVALID_SYNTAX, new byte[0])));
            return;
        }
        Algorithms.Group group = ikeChoice.additionalKes().get(additionalKesDone);
        Optional<Payload.KeyExchange> k = m.first(Payload.KeyExchange.class);
        if (k.isEmpty() || k.get().group() != group.id) {
            LOG.warn("IKE_INTERMEDIATE from {}: expected KEi for {}", remote, dev.strait.gateway.ike.crypto.ProposalFormatter.token(group));
            respond(m, List.of(new Payload.Notify(0, new byte[0], NotifyType.INVALID_SYNTAX, new byte[0])));
            close(false);
            return;
        }
        KeyExchange kx = KeyExchange.generate(group);
        byte[] answer;
        byte[] shared;
        try {
            answer = kx.respond(k.get().data());
            shared = kx.sharedSecret(k.get().data());
        } catch (GeneralSecurityException e) {
            LOG.warn("IKE_INTERMEDIATE from {}: invalid {} key exchange value", remote, dev.strait.gateway.ike.crypto.ProposalFormatter.token(group));
            respond(m, List.of(new Payload.Notify(0, new byte[0], NotifyType.INVALID_SYNTAX, new byte[0])));
            close(false);
            return;
        }
        List<Payload> out = List.of(new Payload.KeyExchange(group.id, answer));
        intAuthI = intAuth(intAuthI, keys.skPi(), m.flags(), m.messageId(), m.payloads());
        intAuthR = intAuth(intAuthR, keys.skPr(), ownFlags(true), m.messageId(), out);
        respond(m, out); // still under the keys of this exchange
        updateKeysWithAdditional(shared);
    }

    private void respondAuth(IkeMessage m) {
        if (state != State.RESPONDER_INIT_DONE) {
            respond(m, List.of(new Payload.Notify(0, new byte[0], NotifyType.INVALID_SYNTAX, new byte[0])));
            return;
        }
        if (additionalKesDone < ikeChoice.additionalKes().size()) {
            respondAuthFailed(m, "syntax", "IKE_AUTH before all " + ikeChoice.additionalKes().size()
                    + " additional key exchanges were done");
            return;
        }
        authMessageId = m.messageId();
        Optional<Payload.Identification> idi = m.first(Payload.Identification.class).filter(Payload.Identification::initiator);
        Optional<Payload.Identification> idr = m.first(Payload.Identification.class).filter(i -> !i.initiator());
        Optional<Payload.Auth> auth = m.first(Payload.Auth.class);
        if (idi.isEmpty() || auth.isEmpty()) {
            respondAuthFailed(m, "syntax", "IKE_AUTH request without IDi or AUTH");
            return;
        }
        Identity peerId = new Identity(idi.get().idType(), idi.get().data());
        Identity wantedLocal = idr.map(i -> new Identity(i.idType(), i.data())).orElse(null);
        Optional<TunnelRuntime> match = CandidateTunnels.byIdentity(candidates, peerId, wantedLocal);
        if (match.isEmpty()) {
            String msg = "peer " + remote.getAddress().getHostAddress() + " identified as '" + peerId + "'"
                    + (wantedLocal == null ? "" : " asking for '" + wantedLocal + "'") + ": no tunnel has that identity";
            engine.listener().rejected(IkeRejection.ID_MISMATCH); // not authenticated: no tunnel's status changes
            respondAuthFailed(m, null, msg);
            return;
        }
        tunnel = match.get();
        TunnelDefinition t = tunnel.definition();
        Refusal refusal = checkPeerAuth(t, m, peerId, auth.get());
        if (refusal != null) {
            respondAuthFailed(m, refusal.reason(), refusal.message());
            return;
        }
        peerSentInitialContact = m.notify(NotifyType.INITIAL_CONTACT).isPresent();
        List<Payload> out = new ArrayList<>();
        out.add(new Payload.Identification(false, t.localId().idType(), t.localId().data()));
        byte[] ours = signedOctets(true, t.localId());
        if (t.usesCertificates()) {
            try {
                CertificateAuthentication.OwnAuth own = t.certificates().ownAuth(peerSignatureHashes,
                        m.all(Payload.CertReq.class).toList(), ours);
                out.addAll(own.certificates());
                out.add(own.auth());
            } catch (AuthenticationException e) {
                respondAuthFailed(m, e.reason().label(), "cannot authenticate to the peer: " + e.getMessage());
                return;
            }
        } else {
            out.add(new Payload.Auth(PskAuthenticator.AUTH_METHOD_PSK, PskAuthenticator.compute(prf, t.psk(), ours)));
        }

        // The first Child SA: proposal, then traffic selector narrowing.
        Optional<Payload.Sa> sa = m.first(Payload.Sa.class);
        List<Payload.TrafficSelector> tsi = selectors(m, true);
        List<Payload.TrafficSelector> tsr = selectors(m, false);
        Optional<EspChoice> esp = sa.flatMap(s -> ProposalMatcher.selectEsp(s.proposals(), t.espProposals(), false));
        List<Payload.TrafficSelector> narrowedI = tunnel.narrowing().narrow(tsi, t.remoteSubnets());
        List<Payload.TrafficSelector> narrowedR = tunnel.narrowing().narrow(tsr, t.localSubnets());
        establish();
        if (sa.isEmpty()) {
            respond(m, out); // childless IKE SA (RFC 6023)
            return;
        }
        if (esp.isEmpty()) {
            String msg = "peer offered no acceptable ESP proposal for the Child SA in IKE_AUTH; answered NO_PROPOSAL_CHOSEN"
                    + " (the IKE SA stays up without a Child SA)";
            tunnel.noteError("no_proposal", msg);
            engine.listener().authFailure(t.name(), "no_proposal");
            LOG.warn("tunnel {}: {}", t.name(), msg);
            out.add(new Payload.Notify(0, new byte[0], NotifyType.NO_PROPOSAL_CHOSEN, new byte[0]));
            respond(m, out);
            return;
        }
        if (narrowedI.isEmpty() || narrowedR.isEmpty()) {
            String msg = "peer proposed traffic selectors " + TrafficSelectors.describe(tsi) + " <-> " + TrafficSelectors.describe(tsr)
                    + ", outside remote " + t.remoteSubnets() + " / local " + t.localSubnets();
            tunnel.noteError("ts_unacceptable", msg);
            engine.listener().authFailure(t.name(), "ts_unacceptable");
            LOG.warn("tunnel {}: {}", t.name(), msg);
            out.add(new Payload.Notify(0, new byte[0], NotifyType.TS_UNACCEPTABLE, new byte[0]));
            respond(m, out);
            return;
        }
        int inboundSpi = engine.allocateChildSpi();
        EspChoice chosen = esp.get();
        Payload.Proposal answer = new Payload.Proposal(chosen.wire().number(), ProposalMatcher.PROTO_ESP,
                ProposalMatcher.spiBytes(inboundSpi), chosen.wire().transforms());
        out.add(new Payload.Sa(List.of(answer)));
        out.add(new Payload.TrafficSelectors(true, narrowedI));
        out.add(new Payload.TrafficSelectors(false, narrowedR));
        respond(m, out);
        installChild(inboundSpi, chosen, List.of(), ni, nr, initiator, narrowedI, narrowedR);
    }

    private void respondAuthFailed(IkeMessage m, String reason, String message) {
        if (reason != null && tunnel != null) {
            tunnel.noteError(reason, message);
            engine.listener().authFailure(tunnel.name(), reason);
        }
        LOG.warn("IKE_AUTH from {} refused: {}", remote, message);
        respond(m, List.of(new Payload.Notify(0, new byte[0], NotifyType.AUTHENTICATION_FAILED, new byte[0])));
        close(false);
    }

    // ---------------------------------------------------------------- INFORMATIONAL

    private void respondInformational(IkeMessage m) {
        List<Payload> out = new ArrayList<>();
        boolean deleteIke = false;
        for (Payload.Delete d : m.all(Payload.Delete.class).toList()) {
            if (d.protocolId() == ProposalMatcher.PROTO_IKE) {
                deleteIke = true;
            } else if (d.protocolId() == ProposalMatcher.PROTO_ESP) {
                List<byte[]> ours = new ArrayList<>();
                for (byte[] spi : d.spis()) {
                    int outbound = ProposalMatcher.spiInt(spi);
                    children.stream().filter(c -> c.outboundSpi() == outbound).findFirst().ifPresent(c -> {
                        ours.add(ProposalMatcher.spiBytes(c.inboundSpi()));
                        removeChild(c);
                    });
                }
                if (!ours.isEmpty()) {
                    out.add(new Payload.Delete(ProposalMatcher.PROTO_ESP, 4, ours));
                }
            }
        }
        respond(m, deleteIke ? List.of() : out);
        if (deleteIke) {
            LOG.info("tunnel {}: peer deleted the {}IKE SA {}", name(), state == State.REKEYED ? "rekeyed " : "", hex(localSpi));
            if (tunnel != null && state != State.REKEYED) {
                tunnel.noteError("peer_deleted", "the peer deleted the IKE SA");
            }
            close(true);
        } else if (state == State.ESTABLISHED && tunnel != null && !out.isEmpty()) {
            if (children.isEmpty()) {
                tunnel.noteError("child_deleted", "the peer deleted the Child SA");
            }
            childSas.recreateDeletedChildren();
        }
    }

    /** Sends a liveness check (empty INFORMATIONAL); on no answer the SA is declared dead. */
    void sendLivenessCheck() {
        if (state != State.ESTABLISHED) {
            return;
        }
        window.queueRequest(() -> {
            int id = window.nextRequestId();
            List<byte[]> bytes = sk.protect(ExchangeType.INFORMATIONAL, ownFlags(false), id, List.of());
            Duration timeout = tunnel == null ? null : tunnel.definition().dpdTimeout();
            window.sendTimedRequest(id, bytes, r -> LOG.debug("tunnel {}: peer is alive", name()),
                    timeout == null || timeout.isZero() ? null : timeout, this::livenessRoundTrip);
        });
    }

    /** The peer answered a liveness check we sent once: the tunnel's round-trip time (TunnelRuntime keeps it). */
    private void livenessRoundTrip(Duration rtt) {
        if (tunnel != null) {
            tunnel.roundTrip(rtt);
        }
    }

    /** Deletes the IKE SA politely (tunnel removed or daemon stopping), then closes it. */
    void sendDeleteAndClose() {
        if (state == State.CLOSED || state == State.DELETING) {
            return;
        }
        if (!sk.ready() || state == State.INIT_SENT) {
            close(true);
            return;
        }
        state = State.DELETING;
        window.cancelOutstanding();
        window.dropQueued();
        int id = window.nextRequestId();
        List<byte[]> bytes = sk.protect(ExchangeType.INFORMATIONAL, ownFlags(false), id,
                List.of(new Payload.Delete(ProposalMatcher.PROTO_IKE, 0, List.of())));
        window.sendRequest(id, bytes, r -> close(true), null);
    }

    // ---------------------------------------------------------------- CREATE_CHILD_SA (RFC 7296 1.3, 2.8)
    // The exchanges live in IkeRekeying (IKE SA rekeys), ChildSaExchanges (ours for Child SAs) and ChildSaResponder
    // (the peer's for Child SAs); here: dispatching the peer's requests, and the successor IKE SA of a rekey.

    Child childByInbound(int spi) {
        return children.stream().filter(c -> c.inboundSpi() == spi).findFirst().orElse(null);
    }

    /** Retries a rekey the peer answered with TEMPORARY_FAILURE, after a random 1-3 s (RFC 7296 section 2.25). */
    void retryLater(Runnable r) {
        timers.after(Duration.ofMillis(1000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(2000)), r);
    }

    /** A peer's CREATE_CHILD_SA: Child SA rekey, additional Child SA, or IKE SA rekey (by the SA payload's protocol). */
    private void respondCreateChildSa(IkeMessage m) {
        Optional<Payload.Sa> sa = m.first(Payload.Sa.class);
        Optional<Payload.Nonce> nonce = m.first(Payload.Nonce.class);
        if (sa.isEmpty() || sa.get().proposals().isEmpty() || nonce.isEmpty()) {
            respond(m, List.of(notify(NotifyType.INVALID_SYNTAX, new byte[0])));
            return;
        }
        boolean ikeRekey = sa.get().proposals().getFirst().protocolId() == ProposalMatcher.PROTO_IKE;
        // Child creation waits while our IKE rekey runs, an IKE rekey waits while our Child rekey runs (2.25);
        // two IKE rekeys or two Child rekeys at once are collisions, settled by the nonces (2.8.1, 2.8.2).
        if (state != State.ESTABLISHED || (!ikeRekey && ikeRekeying.inFlight())
                || (ikeRekey && childSas.rekeyOrCreateInFlight())) {
            respond(m, List.of(notify(NotifyType.TEMPORARY_FAILURE, new byte[0])));
            return;
        }
        if (ikeRekey) {
            ikeRekeying.respondIkeRekey(m, sa.get(), nonce.get().data());
        } else {
            childResponder.respondChildCreate(m, sa.get(), nonce.get().data());
        }
    }

    /**
     * Refuses an IKE_SA_INIT with an error notification. Anyone can send one from any address, so this is counted per
     * gateway and logged throttled, and no tunnel's status changes (only an authenticated peer may change that).
     */
    private void refuseInit(IkeMessage m, IkeRejection reason, int notify, String message) {
        engine.listener().rejected(reason);
        engine.warnings().warn(reason.label(), "IKE_SA_INIT from {} refused ({}): {}", remote, reason.label(), message);
        sendUnprotectedError(m, notify, new byte[0]);
    }

    /** The selectors of a message's TSi (initiator true) or TSr payload; empty when it has none. */
    static List<Payload.TrafficSelector> selectors(IkeMessage m, boolean initiator) {
        return m.all(Payload.TrafficSelectors.class).filter(x -> x.initiator() == initiator)
                .findFirst().map(Payload.TrafficSelectors::selectors).orElse(List.of());
    }

    static Payload.Notify notify(int type, byte[] data) {
        return new Payload.Notify(0, new byte[0], type, data);
    }

    /** One IKE_FOLLOWUP_KE of the peer's Child SA creation or IKE SA rekey: our KE, then the next link or the new SA. */
    private void respondFollowupKe(IkeMessage m) {
        Optional<Payload.Notify> link = m.notify(NotifyType.ADDITIONAL_KEY_EXCHANGE);
        if (state == State.ESTABLISHED && ikeRekeying.awaitsFollowupKe(link)) {
            ikeRekeying.respondFollowupKe(m);
            return;
        }
        childResponder.respondFollowupKe(m, link);
    }

    /** Rekeys one Child SA (make-before-break): new SA installed first, the old one deleted afterwards. */
    void rekeyChild(int oldInbound, Algorithms.Group forcedGroup) {
        childSas.rekeyChild(oldInbound, forcedGroup);
    }

    /** Rekeys this IKE SA (section 2.18): new SPIs and keys from SK_d; the children move to the successor. */
    void rekeyIke(Algorithms.Group forcedGroup) {
        ikeRekeying.rekeyIke(forcedGroup);
    }

    /** Sends an SK-protected request of ours with the next message ID; onResponse gets the decrypted answer. */
    void sendRequest(int exchange, List<Payload> inner, Consumer<IkeMessage> onResponse) {
        int id = window.nextRequestId();
        List<byte[]> bytes = sk.protect(exchange, ownFlags(false), id, inner);
        window.sendRequest(id, bytes, onResponse, null);
    }

    /** The IKE SA that replaces this one after a rekey; the initiator of the rekey is the new SA's initiator. */
    IkeSa successor(boolean weInitiated, long newSpiI, long newSpiR, IkeChoice choice, byte[] nonceI, byte[] nonceR,
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
        SkCipher fromI = SkCipher.of(encr, choice.encr().keyBits(), choice.integ(), next.keys.skEi(), next.keys.skAi());
        SkCipher fromR = SkCipher.of(encr, choice.encr().keyBits(), choice.integ(), next.keys.skEr(), next.keys.skAr());
        next.sk.install(weInitiated ? fromI : fromR, weInitiated ? fromR : fromI);
        next.establishedAt = Instant.now();
        return next;
    }

    /** Moves the children to the successor and makes it the tunnel's IKE SA; this one is left REKEYED. */
    void handOver(IkeSa next) {
        next.inheritedRetiring = childSas.retiring();
        next.children.addAll(children);
        children.clear();
        state = State.REKEYED;
        timers.cancelAll();
        window.dropQueued();
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

    static byte[] spiBytes64(long spi) {
        return java.nio.ByteBuffer.allocate(8).putLong(spi).array();
    }

    static long spiLong(byte[] b) {
        return java.nio.ByteBuffer.wrap(b).getLong();
    }

    // ---------------------------------------------------------------- shared machinery

    /**
     * The octets an AUTH covers (RFC 7296 section 2.15): ours (own=true) or the peer's, with the ID of that side.
     */
    private byte[] signedOctets(boolean own, Identity id) {
        boolean ofInitiator = own == initiator;
        byte[] intAuth = intAuthI == null ? new byte[0] : PskAuthenticator.intAuth(intAuthI, intAuthR, authMessageId);
        return PskAuthenticator.signedOctets(prf, ofInitiator ? firstMessageI : firstMessageR, ofInitiator ? nr : ni,
                ofInitiator ? keys.skPi() : keys.skPr(), id, intAuth);
    }

    /**
     * One link of the IntAuth chain (RFC 9242 section 3.3.2): prf(SK_p, previous | A | P), where A is the IKE header and
     * the Encrypted payload header with their lengths as if the SK payload held only the plaintext P (no IV, padding,
     * ICV), computed as if the message had not been fragmented. P is the re-encoded inner payload chain.
     */
    private byte[] intAuth(byte[] previous, byte[] skP, int flags, int messageId, List<Payload> inner) {
        IkeCodec.Chain chain = IkeCodec.encodeChain(inner);
        byte[] a = IkeCodec.encode(new IkeMessage(spiI, spiR, ExchangeType.IKE_INTERMEDIATE, flags, messageId,
                List.of(new Payload.Encrypted(chain.firstType(), new byte[0]))));
        int total = a.length + chain.bytes().length;
        a[24] = (byte) (total >>> 24);
        a[25] = (byte) (total >>> 16);
        a[26] = (byte) (total >>> 8);
        a[27] = (byte) total;
        int skLength = IkeCodec.PAYLOAD_HEADER_LENGTH + chain.bytes().length;
        a[a.length - 2] = (byte) (skLength >>> 8);
        a[a.length - 1] = (byte) skLength;
        return prf.compute(skP, previous == null ? new byte[0] : previous, a, chain.bytes());
    }

    /** RFC 9370 section 2.2.2: new IKE SA keys from SK_d and the secret of the additional key exchange just done. */
    private void updateKeysWithAdditional(byte[] shared) {
        Algorithms.Encr encr = ikeChoice.encr().alg();
        keys = KeyDerivation.additionalKeyUpdate(prf, keys.skD(), shared, ni, nr, spiI, spiR,
                encr.keyMaterialLength(ikeChoice.encr().keyBits()), ikeChoice.integ() == null ? 0 : ikeChoice.integ().keyLength);
        installIkeCiphers();
        additionalKesDone++;
    }

    private void notePeerSignatureHashes(IkeMessage m) {
        peerSignatureHashes = m.notify(SignatureHash.NOTIFY_TYPE).map(n -> {
            try {
                return SignatureHash.parseNotify(n.data());
            } catch (RuntimeException e) {
                LOG.debug("ignoring malformed SIGNATURE_HASH_ALGORITHMS: {}", e.getMessage());
                return java.util.Set.<SignatureHash>of();
            }
        }).orElse(java.util.Set.of());
    }

    private static Payload.CertReq certReqFor(List<CertificateAuthentication> tunnels) {
        List<java.security.cert.X509Certificate> anchors = tunnels.stream()
                .flatMap(c -> c.credentials().trustAnchors().stream()).distinct().toList();
        return dev.strait.gateway.ike.auth.CertificateRequests.certReq(anchors);
    }

    /** Why the peer's AUTH was refused: a metric/status reason and a log message. */
    private record Refusal(String reason, String message) {
    }

    /** Checks the peer's AUTH (PSK or certificate); null when it verifies. */
    private Refusal checkPeerAuth(TunnelDefinition t, IkeMessage m, Identity peerId, Payload.Auth auth) {
        byte[] octets = signedOctets(false, peerId);
        if (t.usesCertificates()) {
            try {
                var peer = t.certificates().verifyPeer(m.all(Payload.Cert.class).toList(), peerId, auth, octets);
                LOG.info("tunnel {}: peer certificate {} verified (valid until {})", t.name(),
                        peer.certificate().getSubjectX500Principal().getName(), peer.certificate().getNotAfter().toInstant());
                return null;
            } catch (AuthenticationException e) {
                return new Refusal(e.reason().label(), "peer's certificate authentication refused: " + e.getMessage());
            }
        }
        if (auth.method() != PskAuthenticator.AUTH_METHOD_PSK) {
            return new Refusal("auth_method", "peer used AUTH method " + auth.method() + ", tunnel is configured for PSK");
        }
        if (!PskAuthenticator.verify(prf, t.psk(), octets, auth.data())) {
            return new Refusal("psk_mismatch", "peer's AUTH does not verify with our PSK (PSKs differ)");
        }
        return null;
    }

    /** Initiator: checks the responder's AUTH and records a failure; returns null when it verifies. */
    private Refusal verifyPeerAuth(TunnelDefinition t, IkeMessage m, Identity peerId, Payload.Auth auth) {
        Refusal refusal = checkPeerAuth(t, m, peerId, auth);
        if (refusal != null) {
            fail(refusal.reason(), refusal.message());
        }
        return refusal;
    }

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

    private void establish() {
        if (state == State.ESTABLISHED) {
            return;
        }
        state = State.ESTABLISHED;
        establishedAt = Instant.now();
        engine.leftHalfOpen(this);
        if (halfOpenExpiry != null) {
            halfOpenExpiry.cancel(false);
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
     * Derives KEYMAT (section 2.17) with the nonces of the exchange that created the child; exchangeInitiator says
     * whether we initiated that exchange (its initiator's keys come first), tsi/tsr are as that exchange named them.
     */
    Child installChild(int inboundSpi, EspChoice esp, List<byte[]> secrets, byte[] nonceI, byte[] nonceR,
                               boolean exchangeInitiator, List<Payload.TrafficSelector> tsi, List<Payload.TrafficSelector> tsr) {
        return installChild(inboundSpi, esp, secrets, nonceI, nonceR, exchangeInitiator, tsi, tsr, Datapath.Outbound.NOW);
    }

    /**
     * secrets: the KE secret and those of the IKE_FOLLOWUP_KE exchanges, in order (RFC 9370 section 2.2.4); empty: no PFS.
     * outbound: AFTER_PEER when we answered the peer's rekey (make-before-break as responder).
     */
    Child installChild(int inboundSpi, EspChoice esp, List<byte[]> secrets, byte[] nonceI, byte[] nonceR,
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
        Instant now = Instant.now();
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
    InetSocketAddress espPeer() {
        return new InetSocketAddress(remote.getAddress(), natt ? remote.getPort() : NATT_PORT);
    }

    void removeChild(Child c) {
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

    private void deriveKeys(byte[] shared) {
        prf = PrfFunction.of(ikeChoice.prf());
        Algorithms.Encr encr = ikeChoice.encr().alg();
        int encLen = encr.keyMaterialLength(ikeChoice.encr().keyBits());
        int integLen = ikeChoice.integ() == null ? 0 : ikeChoice.integ().keyLength;
        keys = KeyDerivation.ikeSaKeys(prf, ni, nr, shared, spiI, spiR, encLen, integLen);
        installIkeCiphers();
    }

    private void installIkeCiphers() {
        Algorithms.Encr encr = ikeChoice.encr().alg();
        SkCipher fromInitiator = SkCipher.of(encr, ikeChoice.encr().keyBits(), ikeChoice.integ(), keys.skEi(), keys.skAi());
        SkCipher fromResponder = SkCipher.of(encr, ikeChoice.encr().keyBits(), ikeChoice.integ(), keys.skEr(), keys.skAr());
        sk.install(initiator ? fromInitiator : fromResponder, initiator ? fromResponder : fromInitiator);
    }

    private List<Payload> natDetectionNotifies(boolean forceEncapsulation) {
        long r = initiator ? 0 : spiR;
        byte[] source = forceEncapsulation ? NatDetection.fake(spiI, r) : NatDetection.hash(spiI, r, localAddress);
        byte[] destination = NatDetection.hash(spiI, r, remote);
        return List.of(new Payload.Notify(0, new byte[0], NotifyType.NAT_DETECTION_SOURCE_IP, source),
                new Payload.Notify(0, new byte[0], NotifyType.NAT_DETECTION_DESTINATION_IP, destination));
    }

    /** Compares the peer's NAT-D hashes with our view of the addresses (RFC 7296 section 2.23). */
    private void processNatDetection(IkeMessage m, long spiIForHash, long spiRForHash) {
        List<Payload.Notify> sources = m.notifies().filter(n -> n.notifyType() == NotifyType.NAT_DETECTION_SOURCE_IP).toList();
        Optional<Payload.Notify> destination = m.notify(NotifyType.NAT_DETECTION_DESTINATION_IP);
        if (sources.isEmpty() || destination.isEmpty()) {
            natDetected = false;
        } else {
            byte[] peerHash = NatDetection.hash(spiIForHash, spiRForHash, remote);
            boolean peerBehindNat = sources.stream().noneMatch(n -> java.security.MessageDigest.isEqual(n.data(), peerHash));
            boolean weBehindNat = !java.security.MessageDigest.isEqual(destination.get().data(),
                    NatDetection.hash(spiIForHash, spiRForHash, localAddress));
            natDetected = peerBehindNat || weBehindNat;
        }
        boolean force = (tunnel != null && tunnel.definition().forceEncapsulation()) || engine.forceUdpEncapsulation();
        udpEncap = natDetected || force;
    }

    void respond(IkeMessage request, List<Payload> inner) {
        List<byte[]> bytes = sk.protect(request.exchangeType(), ownFlags(true), request.messageId(), inner);
        window.responded(request.messageId(), bytes);
        bytes.forEach(b -> engine.send(b, remote, natt));
    }

    private void sendUnprotectedError(IkeMessage request, int notifyType, byte[] data) {
        IkeMessage response = new IkeMessage(request.initiatorSpi(), 0, request.exchangeType(), IkeMessage.FLAG_RESPONSE,
                request.messageId(), List.of(new Payload.Notify(0, new byte[0], notifyType, data)));
        engine.send(IkeCodec.encode(response), remote, natt);
    }

    private int ownFlags(boolean response) {
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
            tunnel.noteError("peer_dead", "the peer stopped answering for "
                    + Duration.ofNanos(System.nanoTime() - startedNanos).toSeconds() + " s (liveness check timed out)");
            return;
        } else if (state != State.DELETING && state != State.REKEYED) {
            fail("timeout", "no answer from " + remote.getAddress().getHostAddress() + " (" + what + ")");
        }
        close(true);
    }

    private void fail(String reason, String message) {
        lastError = message;
        LOG.warn("tunnel {}: {}", name(), message);
        if (tunnel != null) {
            tunnel.noteError(reason, message);
            if (!"timeout".equals(reason)) {
                engine.listener().authFailure(tunnel.name(), reason);
            }
        }
        if (state == State.INIT_SENT || state == State.AUTH_SENT || state == State.RESPONDER_INIT_DONE) {
            close(true);
        }
    }

    /** Tears down local state: children out of the datapath, SPI unregistered. notifyTunnel=false for a replaced SA. */
    void close(boolean notifyTunnel) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        window.cancelOutstanding();
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

    long lastInbound() {
        return lastInboundNanos;
    }

    static String hex(long spi) {
        return String.format("%016x", spi);
    }

    static String hex32(int spi) {
        return String.format("%08x", spi);
    }

    static String notifyName(int type) {
        for (var f : NotifyType.class.getFields()) {
            try {
                if (f.getType() == int.class && f.getInt(null) == type) {
                    return f.getName();
                }
            } catch (IllegalAccessException e) {
                break;
            }
        }
        return "notify " + type;
    }

}
