package dev.strait.gateway.ike.sa;

import dev.strait.gateway.datapath.ChildSaSpec;
import dev.strait.gateway.ike.auth.Identity;
import dev.strait.gateway.ike.auth.PskAuthenticator;
import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.KeyDerivation;
import dev.strait.gateway.ike.crypto.KeyExchange;
import dev.strait.gateway.ike.crypto.PrfFunction;
import dev.strait.gateway.ike.crypto.SkCipher;
import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeCodec;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.MalformedMessageException;
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
import javax.crypto.AEADBadTagException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One IKE SA and its exchanges, in either role (RFC 7296 sections 1.2-1.4, 2.1-2.4). Every method runs on the SA's
 * serial executor, so the state below needs no locks.
 */
final class IkeSa {
    private static final Logger LOG = LoggerFactory.getLogger(IkeSa.class);
    private static final int NONCE_LENGTH = 32;
    private static final int NATT_PORT = 4500;

    enum State { INIT_SENT, AUTH_SENT, RESPONDER_INIT_DONE, ESTABLISHED, DELETING, CLOSED }

    /** A Child SA carried by this IKE SA. */
    record Child(int inboundSpi, int outboundSpi, EspChoice esp, List<Payload.TrafficSelector> localTs,
                 List<Payload.TrafficSelector> remoteTs, Instant establishedAt) {
    }

    final IkeEngine engine;
    final SerialExecutor executor;
    final boolean initiator;
    final long localSpi;
    final Instant createdAt = Instant.now();
    /** Responder: the tunnels this SA may turn out to be for, until IDi names one. */
    private List<TunnelRuntime> candidates;
    TunnelRuntime tunnel;

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
    private byte[] firstMessageI;
    private byte[] firstMessageR;
    IkeChoice ikeChoice;
    private PrfFunction prf;
    private KeyDerivation.IkeKeys keys;
    private SkCipher outCipher;
    private SkCipher inCipher;
    private boolean peerSentInitialContact;
    Instant establishedAt;
    final List<Child> children = new java.util.concurrent.CopyOnWriteArrayList<>();

    // Message IDs and the single outstanding request (window size 1).
    private int nextRequestId;
    private int expectedPeerRequestId;
    private byte[] lastResponse;
    private int lastResponseId = -1;
    private Outstanding outstanding;
    private final java.util.ArrayDeque<Runnable> queuedRequests = new java.util.ArrayDeque<>();
    volatile long lastInboundNanos = System.nanoTime();
    private ScheduledFuture<?> dpdTimer;

    /** The child we are negotiating in IKE_AUTH (initiator side). */
    private int pendingChildSpi;
    private List<Payload.TrafficSelector> offeredTsi;
    private List<Payload.TrafficSelector> offeredTsr;

    private record Outstanding(int messageId, byte[] bytes, Consumer<IkeMessage> onResponse, java.util.function.BiConsumer<IkeMessage, byte[]> onRawResponse,
                               long startedNanos, int attempt, ScheduledFuture<?> timer) {
    }

    IkeSa(IkeEngine engine, boolean initiator, long localSpi, TunnelRuntime tunnel, List<TunnelRuntime> candidates) {
        this.engine = engine;
        this.executor = new SerialExecutor(engine.workers());
        this.initiator = initiator;
        this.localSpi = localSpi;
        this.tunnel = tunnel;
        this.candidates = candidates;
    }

    String name() {
        return tunnel != null ? tunnel.name() : "(responder " + Long.toHexString(localSpi) + ")";
    }

    // ---------------------------------------------------------------- initiator: IKE_SA_INIT

    void startInitiator(InetSocketAddress peer, Algorithms.Group group) {
        TunnelDefinition t = tunnel.definition();
        spiI = localSpi;
        spiR = 0;
        remote = peer;
        natt = false;
        localAddress = engine.localAddressFor(peer, engine.ikePort());
        ke = KeyExchange.generate(group);
        ni = engine.randomBytes(NONCE_LENGTH);
        nextRequestId = 0;
        state = State.INIT_SENT;
        List<Payload> payloads = new ArrayList<>();
        if (cookie != null) {
            payloads.add(new Payload.Notify(0, new byte[0], NotifyType.COOKIE, cookie));
        }
        payloads.add(new Payload.Sa(ProposalMatcher.ikeOffer(preferGroupFirst(t.ikeProposals(), group), new byte[0])));
        payloads.add(new Payload.KeyExchange(group.id, ke.publicValue()));
        payloads.add(new Payload.Nonce(ni));
        payloads.addAll(natDetectionNotifies(t.forceEncapsulation() || engine.forceUdpEncapsulation()));
        IkeMessage request = new IkeMessage(spiI, 0, ExchangeType.IKE_SA_INIT, IkeMessage.FLAG_INITIATOR, 0, payloads);
        byte[] bytes = IkeCodec.encode(request);
        firstMessageI = bytes;
        LOG.info("tunnel {}: IKE_SA_INIT to {} (group {})", name(), peer, group);
        sendRequest(0, bytes, null, this::onInitResponse);
    }

    /** Puts proposals containing the group we are sending a KE for first, so the responder can pick it. */
    private static List<dev.strait.gateway.ike.crypto.IkeProposal> preferGroupFirst(
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
        sendAuthRequest();
    }

    // ---------------------------------------------------------------- initiator: IKE_AUTH

    private void sendAuthRequest() {
        TunnelDefinition t = tunnel.definition();
        if (udpEncap && !natt) {
            // RFC 7296 section 2.23: the initiator floats to port 4500 once NAT-D says so.
            natt = true;
            remote = new InetSocketAddress(remote.getAddress(), NATT_PORT);
            localAddress = new InetSocketAddress(localAddress.getAddress(), engine.nattPort());
        }
        pendingChildSpi = engine.allocateChildSpi();
        offeredTsi = TrafficSelectors.of(t.localSubnets());
        offeredTsr = TrafficSelectors.of(t.remoteSubnets());
        List<Payload> inner = new ArrayList<>();
        inner.add(new Payload.Identification(true, t.localId().idType(), t.localId().data()));
        if (engine.isFirstContact(t.name())) {
            inner.add(new Payload.Notify(0, new byte[0], NotifyType.INITIAL_CONTACT, new byte[0]));
        }
        inner.add(new Payload.Identification(false, t.peerId().idType(), t.peerId().data()));
        byte[] octets = PskAuthenticator.signedOctets(prf, firstMessageI, nr, keys.skPi(), t.localId());
        inner.add(new Payload.Auth(PskAuthenticator.AUTH_METHOD_PSK, PskAuthenticator.compute(prf, t.psk(), octets)));
        inner.add(new Payload.Sa(ProposalMatcher.espOffer(t.espProposals(), pendingChildSpi, false)));
        inner.add(new Payload.TrafficSelectors(true, offeredTsi));
        inner.add(new Payload.TrafficSelectors(false, offeredTsr));
        state = State.AUTH_SENT;
        int id = nextRequestId;
        byte[] bytes = SkProtector.seal(outCipher, spiI, spiR, ExchangeType.IKE_AUTH, IkeMessage.FLAG_INITIATOR, id, inner);
        sendRequest(id, bytes, this::onAuthResponse, null);
    }

    private void onAuthResponse(IkeMessage inner) {
        if (state != State.AUTH_SENT) {
            return;
        }
        TunnelDefinition t = tunnel.definition();
        Optional<Payload.Notify> authFailed = inner.notify(NotifyType.AUTHENTICATION_FAILED);
        if (authFailed.isPresent()) {
            fail("peer_rejected", "peer rejected our authentication (AUTHENTICATION_FAILED): check PSK and identities");
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
        if (auth.get().method() != PskAuthenticator.AUTH_METHOD_PSK) {
            fail("auth_method", "peer used AUTH method " + auth.get().method() + ", tunnel is configured for PSK");
            sendDeleteAndClose();
            return;
        }
        byte[] octets = PskAuthenticator.signedOctets(prf, firstMessageR, ni, keys.skPr(), peerId);
        if (!PskAuthenticator.verify(prf, t.psk(), octets, auth.get().data())) {
            fail("psk_mismatch", "peer's AUTH does not verify with our PSK (PSKs differ)");
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
        Optional<EspChoice> esp = inner.first(Payload.Sa.class).flatMap(sa -> ProposalMatcher.acceptEspAnswer(sa, t.espProposals(), false));
        List<Payload.TrafficSelector> tsi = inner.all(Payload.TrafficSelectors.class).filter(Payload.TrafficSelectors::initiator)
                .findFirst().map(Payload.TrafficSelectors::selectors).orElse(List.of());
        List<Payload.TrafficSelector> tsr = inner.all(Payload.TrafficSelectors.class).filter(x -> !x.initiator())
                .findFirst().map(Payload.TrafficSelectors::selectors).orElse(List.of());
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
        installChild(pendingChildSpi, esp.get(), null, tsi, tsr);
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
            sendUnprotectedError(m, NotifyType.INVALID_SYNTAX, new byte[0]);
            return false;
        }
        IkeChoice chosen = null;
        TunnelRuntime chosenTunnel = null;
        for (TunnelRuntime c : candidates) {
            Optional<IkeChoice> x = ProposalMatcher.selectIke(sa.get().proposals(), c.definition().ikeProposals(),
                    kePayload.get().group());
            if (x.isPresent() && (chosen == null || x.get().group().id == kePayload.get().group() && chosen.group().id != kePayload.get().group())) {
                chosen = x.get();
                chosenTunnel = c;
            }
        }
        if (chosen == null) {
            LOG.warn("IKE_SA_INIT from {}: no proposal matches any tunnel for this peer; answering NO_PROPOSAL_CHOSEN", from);
            candidates.forEach(c -> engine.listener().authFailure(c.name(), "no_proposal"));
            candidates.forEach(c -> c.noteError("no_proposal", "peer " + from + " offered no acceptable IKE proposal"));
            sendUnprotectedError(m, NotifyType.NO_PROPOSAL_CHOSEN, new byte[0]);
            return false;
        }
        if (chosen.group().id != kePayload.get().group()) {
            LOG.info("IKE_SA_INIT from {}: asking for group {} (INVALID_KE_PAYLOAD)", from, chosen.group());
            sendUnprotectedError(m, NotifyType.INVALID_KE_PAYLOAD,
                    new byte[] {(byte) (chosen.group().id >> 8), (byte) chosen.group().id});
            return false;
        }
        // Tunnels whose IKE proposals differ from the chosen one cannot be this SA.
        final IkeChoice fixed = chosen;
        candidates = candidates.stream().filter(c -> ProposalMatcher.selectIke(List.of(fixed.wire()),
                c.definition().ikeProposals(), null).isPresent()).toList();
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
            LOG.warn("IKE_SA_INIT from {}: invalid key exchange value; answering INVALID_SYNTAX", from);
            sendUnprotectedError(m, NotifyType.INVALID_SYNTAX, new byte[0]);
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
        IkeMessage response = new IkeMessage(spiI, spiR, ExchangeType.IKE_SA_INIT, IkeMessage.FLAG_RESPONSE, 0, payloads);
        firstMessageR = IkeCodec.encode(response);
        expectedPeerRequestId = 1;
        lastResponseId = 0;
        lastResponse = firstMessageR;
        state = State.RESPONDER_INIT_DONE;
        engine.send(firstMessageR, remote, natt);
        return true;
    }

    // ---------------------------------------------------------------- all protected messages

    /** Entry point for every message after IKE_SA_INIT (and INIT responses), on this SA's executor. */
    void onMessage(IkeMessage m, byte[] raw, InetSocketAddress from, boolean viaNatt) {
        if (state == State.CLOSED) {
            return;
        }
        if (m.exchangeType() == ExchangeType.IKE_SA_INIT) {
            if (m.isResponse() && outstanding != null && outstanding.messageId() == 0 && state == State.INIT_SENT) {
                Outstanding o = completeOutstanding();
                o.onRawResponse().accept(m, raw);
            } else if (!m.isResponse() && !initiator && lastResponseId == 0 && lastResponse != null) {
                engine.send(lastResponse, remote, natt); // retransmitted IKE_SA_INIT
            }
            return;
        }
        if (inCipher == null) {
            return;
        }
        if (m.isResponse()) {
            if (outstanding == null || m.messageId() != outstanding.messageId()) {
                return; // late or duplicate response
            }
            List<Payload> inner = decrypt(m, raw);
            if (inner == null) {
                return;
            }
            lastInboundNanos = System.nanoTime();
            Outstanding o = completeOutstanding();
            if (o.onResponse() != null) {
                o.onResponse().accept(m.withPayloads(inner));
            }
            sendNextQueued();
            return;
        }
        // A request from the peer.
        if (m.messageId() == lastResponseId && lastResponse != null) {
            engine.send(lastResponse, from, viaNatt); // the peer did not get our answer
            return;
        }
        if (m.messageId() != expectedPeerRequestId) {
            LOG.debug("tunnel {}: dropping request with message ID {} (expected {})", name(), m.messageId(), expectedPeerRequestId);
            return;
        }
        List<Payload> inner = decrypt(m, raw);
        if (inner == null) {
            return;
        }
        lastInboundNanos = System.nanoTime();
        if (!from.equals(remote)) {
            remote = from; // the peer moved to 4500 or its NAT mapping changed (RFC 7296 section 2.23)
            natt = viaNatt;
        }
        IkeMessage request = m.withPayloads(inner);
        switch (m.exchangeType()) {
            case ExchangeType.IKE_AUTH -> respondAuth(request);
            case ExchangeType.INFORMATIONAL -> respondInformational(request);
            case ExchangeType.CREATE_CHILD_SA -> respond(request, List.of(new Payload.Notify(0, new byte[0],
                    NotifyType.NO_ADDITIONAL_SAS, new byte[0])));
            default -> respond(request, List.of());
        }
    }

    private List<Payload> decrypt(IkeMessage m, byte[] raw) {
        try {
            return SkProtector.open(inCipher, m, raw, 0, raw.length);
        } catch (AEADBadTagException e) {
            LOG.warn("tunnel {}: dropping {} whose integrity check fails", name(), ExchangeType.name(m.exchangeType()));
            engine.listener().malformed("integrity");
            return null;
        } catch (MalformedMessageException e) {
            LOG.warn("tunnel {}: dropping malformed {}: {}", name(), ExchangeType.name(m.exchangeType()), e.getMessage());
            engine.listener().malformed("syntax");
            return null;
        }
    }

    // ---------------------------------------------------------------- responder: IKE_AUTH

    private void respondAuth(IkeMessage m) {
        if (state != State.RESPONDER_INIT_DONE) {
            respond(m, List.of(new Payload.Notify(0, new byte[0], NotifyType.INVALID_SYNTAX, new byte[0])));
            return;
        }
        Optional<Payload.Identification> idi = m.first(Payload.Identification.class).filter(Payload.Identification::initiator);
        Optional<Payload.Identification> idr = m.first(Payload.Identification.class).filter(i -> !i.initiator());
        Optional<Payload.Auth> auth = m.first(Payload.Auth.class);
        if (idi.isEmpty() || auth.isEmpty()) {
            respondAuthFailed(m, "syntax", "IKE_AUTH request without IDi or AUTH");
            return;
        }
        Identity peerId = new Identity(idi.get().idType(), idi.get().data());
        Identity wantedLocal = idr.map(i -> new Identity(i.idType(), i.data())).orElse(null);
        Optional<TunnelRuntime> match = candidates.stream()
                .filter(c -> c.definition().peerId().matches(peerId))
                .filter(c -> wantedLocal == null || c.definition().localId().matches(wantedLocal))
                .findFirst();
        if (match.isEmpty()) {
            String msg = "peer " + remote.getAddress().getHostAddress() + " identified as '" + peerId + "'"
                    + (wantedLocal == null ? "" : " asking for '" + wantedLocal + "'") + ": no tunnel has that identity";
            candidates.forEach(c -> c.noteError("id_mismatch", msg));
            candidates.forEach(c -> engine.listener().authFailure(c.name(), "id_mismatch"));
            respondAuthFailed(m, null, msg);
            return;
        }
        tunnel = match.get();
        TunnelDefinition t = tunnel.definition();
        if (auth.get().method() != PskAuthenticator.AUTH_METHOD_PSK) {
            respondAuthFailed(m, "auth_method", "peer used AUTH method " + auth.get().method() + ", tunnel expects PSK");
            return;
        }
        byte[] octets = PskAuthenticator.signedOctets(prf, firstMessageI, nr, keys.skPi(), peerId);
        if (!PskAuthenticator.verify(prf, t.psk(), octets, auth.get().data())) {
            respondAuthFailed(m, "psk_mismatch", "peer's AUTH does not verify with our PSK (PSKs differ)");
            return;
        }
        peerSentInitialContact = m.notify(NotifyType.INITIAL_CONTACT).isPresent();
        List<Payload> out = new ArrayList<>();
        out.add(new Payload.Identification(false, t.localId().idType(), t.localId().data()));
        byte[] ours = PskAuthenticator.signedOctets(prf, firstMessageR, ni, keys.skPr(), t.localId());
        out.add(new Payload.Auth(PskAuthenticator.AUTH_METHOD_PSK, PskAuthenticator.compute(prf, t.psk(), ours)));

        // The first Child SA: proposal, then traffic selector narrowing.
        Optional<Payload.Sa> sa = m.first(Payload.Sa.class);
        List<Payload.TrafficSelector> tsi = m.all(Payload.TrafficSelectors.class).filter(Payload.TrafficSelectors::initiator)
                .findFirst().map(Payload.TrafficSelectors::selectors).orElse(List.of());
        List<Payload.TrafficSelector> tsr = m.all(Payload.TrafficSelectors.class).filter(x -> !x.initiator())
                .findFirst().map(Payload.TrafficSelectors::selectors).orElse(List.of());
        Optional<EspChoice> esp = sa.flatMap(s -> ProposalMatcher.selectEsp(s.proposals(), t.espProposals(), false));
        List<Payload.TrafficSelector> narrowedI = TrafficSelectors.narrow(tsi, t.remoteSubnets());
        List<Payload.TrafficSelector> narrowedR = TrafficSelectors.narrow(tsr, t.localSubnets());
        establish();
        if (sa.isEmpty()) {
            respond(m, out); // childless IKE SA (RFC 6023)
            return;
        }
        if (esp.isEmpty()) {
            tunnel.noteError("no_proposal", "peer offered no acceptable ESP proposal");
            engine.listener().authFailure(t.name(), "no_proposal");
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
        installChild(inboundSpi, chosen, null, narrowedI, narrowedR);
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
            LOG.info("tunnel {}: peer deleted the IKE SA", name());
            if (tunnel != null) {
                tunnel.noteError("peer_deleted", "the peer deleted the IKE SA");
            }
            close(true);
        } else if (children.isEmpty() && state == State.ESTABLISHED && tunnel != null && !out.isEmpty()) {
            tunnel.noteError("child_deleted", "the peer deleted the Child SA");
        }
    }

    /** Sends a liveness check (empty INFORMATIONAL); on no answer the SA is declared dead. */
    void sendLivenessCheck() {
        if (state != State.ESTABLISHED) {
            return;
        }
        queueRequest(() -> {
            int id = nextRequestId;
            byte[] bytes = SkProtector.seal(outCipher, spiI, spiR, ExchangeType.INFORMATIONAL, ownFlags(false), id, List.of());
            sendRequest(id, bytes, r -> LOG.debug("tunnel {}: peer is alive", name()), null);
        });
    }

    /** Deletes the IKE SA politely (tunnel removed or daemon stopping), then closes it. */
    void sendDeleteAndClose() {
        if (state == State.CLOSED || state == State.DELETING) {
            return;
        }
        if (outCipher == null || state == State.INIT_SENT) {
            close(true);
            return;
        }
        state = State.DELETING;
        cancelOutstanding();
        queuedRequests.clear();
        int id = nextRequestId;
        byte[] bytes = SkProtector.seal(outCipher, spiI, spiR, ExchangeType.INFORMATIONAL, ownFlags(false), id,
                List.of(new Payload.Delete(ProposalMatcher.PROTO_IKE, 0, List.of())));
        sendRequest(id, bytes, r -> close(true), null);
    }

    // ---------------------------------------------------------------- shared machinery

    private void establish() {
        if (state == State.ESTABLISHED) {
            return;
        }
        state = State.ESTABLISHED;
        establishedAt = Instant.now();
        LOG.info("tunnel {}: IKE SA established with {} ({}, {} {}, NAT {})", name(), remote, ikeChoice.describe(),
                initiator ? "initiator" : "responder", hex(spiI) + "/" + hex(spiR), natDetected ? "detected" : "not detected");
        engine.listener().ikeSaEstablished(name(), Duration.between(createdAt, establishedAt));
        tunnel.onIkeEstablished(this, peerSentInitialContact);
        scheduleDpd();
    }

    private void installChild(int inboundSpi, EspChoice esp, byte[] sharedSecret, List<Payload.TrafficSelector> tsi,
                              List<Payload.TrafficSelector> tsr) {
        Algorithms.Encr encr = esp.encr().alg();
        int encLen = encr.keyMaterialLength(esp.encr().keyBits());
        int integLen = esp.integ() == null ? 0 : esp.integ().keyLength;
        KeyDerivation.ChildKeys k = KeyDerivation.childSaKeys(prf, keys.skD(), sharedSecret, ni, nr, encLen, integLen);
        List<Payload.TrafficSelector> localTs = initiator ? tsi : tsr;
        List<Payload.TrafficSelector> remoteTs = initiator ? tsr : tsi;
        int outboundSpi = esp.peerSpi();
        byte[] inEnc = initiator ? k.encR() : k.encI();
        byte[] inInteg = initiator ? k.integR() : k.integI();
        byte[] outEnc = initiator ? k.encI() : k.encR();
        byte[] outInteg = initiator ? k.integI() : k.integR();
        InetSocketAddress espPeer = new InetSocketAddress(remote.getAddress(), natt ? remote.getPort() : NATT_PORT);
        ChildSaSpec spec = new ChildSaSpec(name(), inboundSpi, outboundSpi, encr, esp.encr().keyBits(), esp.integ(), esp.esn(),
                inEnc, inInteg, outEnc, outInteg, TrafficSelectors.toCidrs(localTs), TrafficSelectors.toCidrs(remoteTs), espPeer);
        Child child = new Child(inboundSpi, outboundSpi, esp, localTs, remoteTs, Instant.now());
        children.add(child);
        engine.datapath().installChildSa(spec);
        LOG.info("tunnel {}: Child SA installed {} <-> {} ({}, SPIs in {} out {})", name(), TrafficSelectors.describe(localTs),
                TrafficSelectors.describe(remoteTs), esp.describe(), hex32(inboundSpi), hex32(outboundSpi));
        tunnel.onChildChanged(this);
    }

    private void removeChild(Child c) {
        children.remove(c);
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
        SkCipher fromInitiator = SkCipher.of(encr, ikeChoice.encr().keyBits(), ikeChoice.integ(), keys.skEi(), keys.skAi());
        SkCipher fromResponder = SkCipher.of(encr, ikeChoice.encr().keyBits(), ikeChoice.integ(), keys.skEr(), keys.skAr());
        outCipher = initiator ? fromInitiator : fromResponder;
        inCipher = initiator ? fromResponder : fromInitiator;
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

    private void respond(IkeMessage request, List<Payload> inner) {
        byte[] bytes = SkProtector.seal(outCipher, spiI, spiR, request.exchangeType(), ownFlags(true), request.messageId(), inner);
        lastResponse = bytes;
        lastResponseId = request.messageId();
        expectedPeerRequestId = request.messageId() + 1;
        engine.send(bytes, remote, natt);
    }

    private void sendUnprotectedError(IkeMessage request, int notifyType, byte[] data) {
        IkeMessage response = new IkeMessage(request.initiatorSpi(), 0, request.exchangeType(), IkeMessage.FLAG_RESPONSE,
                request.messageId(), List.of(new Payload.Notify(0, new byte[0], notifyType, data)));
        engine.send(IkeCodec.encode(response), remote, natt);
    }

    private int ownFlags(boolean response) {
        return (initiator ? IkeMessage.FLAG_INITIATOR : 0) | (response ? IkeMessage.FLAG_RESPONSE : 0);
    }

    private void queueRequest(Runnable r) {
        if (outstanding == null) {
            r.run();
        } else {
            queuedRequests.add(r);
        }
    }

    private void sendNextQueued() {
        Runnable next = queuedRequests.poll();
        if (next != null) {
            next.run();
        }
    }

    /** Sends a request and retransmits it with exponential back-off (RFC 7296 section 2.1) until answered. */
    private void sendRequest(int messageId, byte[] bytes, Consumer<IkeMessage> onResponse,
                             java.util.function.BiConsumer<IkeMessage, byte[]> onRawResponse) {
        cancelOutstanding();
        nextRequestId = messageId + 1;
        outstanding = new Outstanding(messageId, bytes, onResponse, onRawResponse, System.nanoTime(), 0, null);
        transmit();
    }

    private void transmit() {
        Outstanding o = outstanding;
        engine.send(o.bytes(), remote, natt);
        Duration delay = engine.retransmitDelay(o.attempt());
        if (delay == null) {
            return;
        }
        ScheduledFuture<?> timer = engine.schedule(this, () -> onRetransmitTimer(o.messageId(), o.attempt()), delay);
        outstanding = new Outstanding(o.messageId(), o.bytes(), o.onResponse(), o.onRawResponse(), o.startedNanos(), o.attempt(), timer);
    }

    private void onRetransmitTimer(int messageId, int attempt) {
        Outstanding o = outstanding;
        if (o == null || o.messageId() != messageId || o.attempt() != attempt || state == State.CLOSED) {
            return;
        }
        if (engine.retransmitDelay(attempt + 1) == null) {
            outstanding = null;
            String what = state == State.ESTABLISHED ? "liveness check" : state.name();
            LOG.warn("tunnel {}: no answer from {} after {} retransmissions ({})", name(), remote, attempt, what);
            if (state == State.ESTABLISHED && tunnel != null) {
                engine.listener().dpdTimeout(tunnel.name());
                tunnel.noteError("peer_dead", "the peer stopped answering (liveness check timed out)");
            } else if (state != State.DELETING) {
                fail("timeout", "no answer from " + remote.getAddress().getHostAddress() + " (" + what + ")");
            }
            close(true);
            return;
        }
        engine.listener().retransmit(name());
        outstanding = new Outstanding(o.messageId(), o.bytes(), o.onResponse(), o.onRawResponse(), o.startedNanos(), attempt + 1, null);
        transmit();
    }

    private Outstanding completeOutstanding() {
        Outstanding o = outstanding;
        outstanding = null;
        if (o.timer() != null) {
            o.timer().cancel(false);
        }
        return o;
    }

    private void cancelOutstanding() {
        if (outstanding != null && outstanding.timer() != null) {
            outstanding.timer().cancel(false);
        }
        outstanding = null;
    }

    private void scheduleDpd() {
        if (tunnel == null || tunnel.definition().dpdInterval().isZero()) {
            return;
        }
        Duration interval = tunnel.definition().dpdInterval();
        dpdTimer = engine.scheduleRepeating(this, () -> {
            long idle = System.nanoTime() - Math.max(lastInboundNanos, engine.lastEspInbound(this));
            if (state == State.ESTABLISHED && outstanding == null && idle >= interval.toNanos()) {
                sendLivenessCheck();
            }
        }, interval);
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
        cancelOutstanding();
        if (dpdTimer != null) {
            dpdTimer.cancel(false);
        }
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
