package dev.strait.gateway.ike.sa;

import static dev.strait.gateway.ike.sa.IkeSa.NONCE_LENGTH;

import dev.strait.gateway.ike.auth.CertificateAuthentication;
import dev.strait.gateway.ike.auth.SignatureHash;
import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.KeyExchange;
import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeCodec;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.NotifyType;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.message.WireBytes;
import dev.strait.gateway.ike.sa.IkeSa.State;
import dev.strait.gateway.ike.sa.ProposalMatcher.IkeChoice;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * IKE_SA_INIT in both roles (RFC 7296 sections 1.2, 2.6, 2.10), with what travels in it: NAT detection (section
 * 2.23), the fragmentation (RFC 7383), childless (RFC 6023), IKE_INTERMEDIATE (RFC 9242) and SIGNATURE_HASH_ALGORITHMS
 * (RFC 7427) notifies, COOKIE and INVALID_KE_PAYLOAD retries. Like strongSwan's ike_init and ike_natd tasks; runs on
 * the SA's executor and leaves its results (SPIs, nonces, keys, NAT state) in the IKE SA.
 */
final class IkeInitExchange implements IkeTask.Unprotected {
    private static final Logger LOG = LoggerFactory.getLogger(IkeInitExchange.class);

    private final IkeSaContext.Setup ikeSa;
    private final IkeEngine engine;
    private KeyExchange ke;
    private byte[] cookie;
    /** How long our IKE_SA_INIT is retried (null: every retransmission); kept for the COOKIE and INVALID_KE retries. */
    private Duration initGiveUp;

    IkeInitExchange(IkeSaContext.Setup ikeSa, IkeEngine engine) {
        this.ikeSa = ikeSa;
        this.engine = engine;
    }

    /**
     * Starts the IKE_SA_INIT exchange; giveUp non-null: the exchange fails after that long instead of after every
     * retransmission (a Passive tunnel's one contact at start).
     */
    void startInitiator(InetSocketAddress peer, Algorithms.Group group, Duration giveUp) {
        initGiveUp = giveUp;
        startInitiator(peer, group);
    }

    void startInitiator(InetSocketAddress peer, Algorithms.Group group) {
        ikeSa.spis(ikeSa.localSpi(), 0);
        ikeSa.endpoints(peer, false, engine.localAddressFor(peer, engine.ikePort()));
        // A retry after COOKIE keeps every other payload unchanged (RFC 7296 section 2.6): the responder's cookie is a
        // MAC over our Ni, so a fresh nonce would make it invalid and the responder would ask again, forever.
        if (ke == null || ke.group() != group) {
            ke = KeyExchange.generate(group);
        }
        if (ikeSa.ni() == null) {
            ikeSa.ni(engine.randomBytes(NONCE_LENGTH));
        }
        ikeSa.state(State.INIT_SENT);
        ikeSa.tasks().initiate(this);
    }

    @Override
    public byte[] buildRawRequest() {
        TunnelDefinition t = ikeSa.tunnel().definition();
        Algorithms.Group group = ke.group();
        List<Payload> payloads = new ArrayList<>();
        if (cookie != null) {
            payloads.add(Payload.Notify.of(NotifyType.COOKIE, cookie));
        }
        payloads.add(new Payload.Sa(ProposalMatcher.ikeOffer(preferGroupFirst(t.ikeProposals(), group), new byte[0])));
        payloads.add(new Payload.KeyExchange(group.id, ke.publicValue()));
        payloads.add(new Payload.Nonce(ikeSa.ni()));
        payloads.addAll(natDetectionNotifies(t.forceEncapsulation() || engine.forceUdpEncapsulation()));
        // RFC 6023 section 3: we accept an IKE SA without a Child SA (as responder; our IKE_AUTH always asks for one).
        payloads.add(Payload.Notify.of(NotifyType.CHILDLESS_IKEV2_SUPPORTED, new byte[0]));
        if (t.fragmentation()) {
            payloads.add(Payload.Notify.of(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED, new byte[0]));
        }
        payloads.addAll(t.authenticator().initNotifies());
        if (t.offersAdditionalKes()) {
            payloads.add(Payload.Notify.of(NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED, new byte[0]));
        }
        IkeMessage request = new IkeMessage(ikeSa.spiI(), 0, ExchangeType.IKE_SA_INIT, IkeMessage.FLAG_INITIATOR, 0, payloads);
        byte[] bytes = IkeCodec.encode(request);
        ikeSa.firstMessageI(bytes);
        LOG.info("tunnel {}: IKE_SA_INIT to {} (group {})", ikeSa.name(), ikeSa.remote(), group);
        return bytes;
    }

    @Override
    public Duration giveUpAfter() {
        return initGiveUp;
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

    @Override
    public void processRawResponse(IkeMessage m, byte[] raw) {
        if (ikeSa.state() != State.INIT_SENT) {
            return;
        }
        TunnelDefinition t = ikeSa.tunnel().definition();
        Optional<Payload.Notify> cookieN = m.notify(NotifyType.COOKIE);
        if (cookieN.isPresent()) {
            cookie = cookieN.get().data();
            LOG.info("tunnel {}: responder asked for a cookie, retrying", ikeSa.name());
            startInitiator(ikeSa.remote(), ke.group());
            return;
        }
        Optional<Payload.Notify> invalidKe = m.notify(NotifyType.INVALID_KE_PAYLOAD);
        if (invalidKe.isPresent()) {
            byte[] d = invalidKe.get().data();
            int wanted = WireBytes.u16(d);
            Optional<Algorithms.Group> g = t.ikeProposals().stream().flatMap(p -> p.groups().stream())
                    .filter(x -> x.id == wanted).findFirst();
            if (g.isPresent() && g.get() != ke.group()) {
                LOG.info("tunnel {}: peer wants key exchange group {} (INVALID_KE_PAYLOAD), retrying", ikeSa.name(), g.get());
                startInitiator(ikeSa.remote(), g.get());
            } else {
                ikeSa.fail(FailureReason.PEER_REJECTED, "peer asked for key exchange group " + wanted + ", which is not in our proposals");
            }
            return;
        }
        Optional<Payload.Notify> error = m.notifies().filter(Payload.Notify::isError).findFirst();
        if (error.isPresent()) {
            ikeSa.fail(error.get().notifyType() == NotifyType.NO_PROPOSAL_CHOSEN ? FailureReason.NO_PROPOSAL : FailureReason.PEER_REJECTED,
                    "peer answered IKE_SA_INIT with " + NotifyType.name(error.get().notifyType()));
            return;
        }
        Optional<IkeChoice> choice = m.first(Payload.Sa.class).flatMap(sa -> ProposalMatcher.acceptIkeAnswer(sa, t.ikeProposals()));
        Optional<Payload.KeyExchange> kePayload = m.first(Payload.KeyExchange.class);
        Optional<Payload.Nonce> nonce = m.first(Payload.Nonce.class);
        if (choice.isEmpty() || kePayload.isEmpty() || nonce.isEmpty() || m.responderSpi() == 0) {
            ikeSa.fail(FailureReason.PEER_REJECTED, "IKE_SA_INIT response lacks SA, KE or Nr, or chose a proposal we did not offer");
            return;
        }
        if (kePayload.get().group() != ke.group().id || choice.get().group() != ke.group()) {
            ikeSa.fail(FailureReason.PEER_REJECTED, "IKE_SA_INIT response uses a different key exchange group than we sent");
            return;
        }
        ikeSa.ikeChoice(choice.get());
        ikeSa.fragmentation(t.fragmentation() && m.notify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED).isPresent());
        ikeSa.peerSupportsChildless(m.notify(NotifyType.CHILDLESS_IKEV2_SUPPORTED).isPresent());
        notePeerSignatureHashes(m);
        ikeSa.peerInitCertReqs(m.all(Payload.CertReq.class).toList());
        ikeSa.spis(ikeSa.spiI(), m.responderSpi());
        ikeSa.nr(nonce.get().data());
        ikeSa.firstMessageR(raw);
        byte[] shared;
        try {
            shared = ke.sharedSecret(kePayload.get().data());
        } catch (GeneralSecurityException e) {
            ikeSa.fail(FailureReason.PEER_REJECTED, "peer's key exchange value is invalid");
            return;
        }
        ikeSa.deriveKeys(shared);
        processNatDetection(m, ikeSa.spiI(), ikeSa.spiR());
        if (!ikeSa.ikeChoice().additionalKes().isEmpty()) {
            if (m.notify(NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED).isEmpty()) {
                ikeSa.fail(FailureReason.PEER_REJECTED, "peer chose additional key exchanges without announcing IKE_INTERMEDIATE support");
                return;
            }
        }
        ikeSa.initDone();
    }

    /** Handles an IKE_SA_INIT request; returns false when no state should be kept (error answered). */
    boolean respondInit(IkeMessage m, InetSocketAddress from, boolean viaNatt, byte[] raw) {
        ikeSa.endpoints(from, viaNatt, engine.localAddressFor(from, viaNatt ? engine.nattPort() : engine.ikePort()));
        ikeSa.spis(m.initiatorSpi(), ikeSa.localSpi());
        Optional<Payload.Sa> sa = m.first(Payload.Sa.class);
        Optional<Payload.KeyExchange> kePayload = m.first(Payload.KeyExchange.class);
        Optional<Payload.Nonce> nonce = m.first(Payload.Nonce.class);
        if (sa.isEmpty() || kePayload.isEmpty() || nonce.isEmpty()) {
            refuseInit(m, IkeRejection.INVALID_SYNTAX, NotifyType.INVALID_SYNTAX, "SA, KE or Nonce missing");
            return false;
        }
        CandidateTunnels.Best best = CandidateTunnels.bestIke(ikeSa.candidates(), sa.get().proposals(), kePayload.get().group());
        IkeChoice chosen = best.choice();
        TunnelRuntime chosenTunnel = best.tunnel();
        if (chosen == null) {
            refuseInit(m, IkeRejection.NO_PROPOSAL, NotifyType.NO_PROPOSAL_CHOSEN, "no proposal matches any tunnel for this peer");
            return false;
        }
        if (chosen.group().id != kePayload.get().group()) {
            LOG.info("IKE_SA_INIT from {}: asking for group {} (INVALID_KE_PAYLOAD)", from, chosen.group());
            sendUnprotectedError(m, NotifyType.INVALID_KE_PAYLOAD,
                    WireBytes.u16(chosen.group().id));
            return false;
        }
        if (!chosen.additionalKes().isEmpty() && m.notify(NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED).isEmpty()) {
            refuseInit(m, IkeRejection.INVALID_SYNTAX, NotifyType.INVALID_SYNTAX,
                    "additional key exchanges offered without IKE_INTERMEDIATE support");
            return false;
        }
        // Tunnels whose IKE proposals differ from the chosen one cannot be this SA.
        final IkeChoice fixed = chosen;
        ikeSa.candidates(CandidateTunnels.accepting(ikeSa.candidates(), fixed.wire()));
        ikeSa.ikeChoice(chosen);
        ikeSa.ni(nonce.get().data());
        ikeSa.nr(engine.randomBytes(NONCE_LENGTH));
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
        ikeSa.firstMessageI(raw);
        ikeSa.deriveKeys(shared);
        boolean force = chosenTunnel.definition().forceEncapsulation() || engine.forceUdpEncapsulation();
        processNatDetection(m, ikeSa.spiI(), 0);
        ikeSa.nat(ikeSa.natDetected(), ikeSa.udpEncap() || force); // our faked NAT_DETECTION_SOURCE_IP below makes the peer encapsulate
        List<Payload> payloads = new ArrayList<>();
        payloads.add(new Payload.Sa(List.of(chosen.wire())));
        payloads.add(new Payload.KeyExchange(chosen.group().id, keData));
        payloads.add(new Payload.Nonce(ikeSa.nr()));
        payloads.addAll(natDetectionNotifies(force));
        if (m.notify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED).isPresent() && CandidateTunnels.anyFragmentation(ikeSa.candidates())) {
            ikeSa.fragmentation(true);
            payloads.add(Payload.Notify.of(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED, new byte[0]));
        }
        if (m.notify(NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED).isPresent()) {
            payloads.add(Payload.Notify.of(NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED, new byte[0]));
        }
        if (m.notify(NotifyType.CHILDLESS_IKEV2_SUPPORTED).isPresent()) {
            payloads.add(Payload.Notify.of(NotifyType.CHILDLESS_IKEV2_SUPPORTED, new byte[0])); // RFC 6023 section 3
        }
        notePeerSignatureHashes(m);
        List<CertificateAuthentication> certTunnels = CandidateTunnels.certificateAuths(ikeSa.candidates());
        if (!certTunnels.isEmpty()) {
            payloads.add(certTunnels.getFirst().signatureHashAlgorithmsNotify());
            // CERTREQ in IKE_SA_INIT (section 3.7): peers that send certificates only "if asked" need it.
            payloads.add(certReqFor(certTunnels));
        }
        IkeMessage response = new IkeMessage(ikeSa.spiI(), ikeSa.spiR(), ExchangeType.IKE_SA_INIT, IkeMessage.FLAG_RESPONSE, 0, payloads);
        ikeSa.firstMessageR(IkeCodec.encode(response));
        ikeSa.tasks().responded(0, List.of(ikeSa.firstMessageR()));
        ikeSa.state(State.RESPONDER_INIT_DONE);
        engine.send(ikeSa.firstMessageR(), ikeSa.remote(), ikeSa.natt());
        return true;
    }

    /**
     * Refuses an IKE_SA_INIT with an error notification. Anyone can send one from any address, so this is counted per
     * gateway and logged throttled, and no tunnel's status changes (only an authenticated peer may change that).
     */
    private void refuseInit(IkeMessage m, IkeRejection reason, int notify, String message) {
        engine.listener().rejected(reason);
        engine.warnings().warn(reason.label(), "IKE_SA_INIT from {} refused ({}): {}", ikeSa.remote(), reason.label(), message);
        sendUnprotectedError(m, notify, new byte[0]);
    }

    private void notePeerSignatureHashes(IkeMessage m) {
        ikeSa.peerSignatureHashes(m.notify(NotifyType.SIGNATURE_HASH_ALGORITHMS).map(n -> {
            try {
                return SignatureHash.parseNotify(n.data());
            } catch (RuntimeException e) {
                LOG.debug("ignoring malformed SIGNATURE_HASH_ALGORITHMS: {}", e.getMessage());
                return java.util.Set.<SignatureHash>of();
            }
        }).orElse(java.util.Set.of()));
    }

    private static Payload.CertReq certReqFor(List<CertificateAuthentication> tunnels) {
        List<java.security.cert.X509Certificate> anchors = tunnels.stream()
                .flatMap(c -> c.credentials().trustAnchors().stream()).distinct().toList();
        return dev.strait.gateway.ike.auth.CertificateRequests.certReq(anchors);
    }

    private List<Payload> natDetectionNotifies(boolean forceEncapsulation) {
        long r = ikeSa.initiator() ? 0 : ikeSa.spiR();
        byte[] source = forceEncapsulation ? NatDetection.fake(ikeSa.spiI(), r) : NatDetection.hash(ikeSa.spiI(), r, ikeSa.localAddress());
        byte[] destination = NatDetection.hash(ikeSa.spiI(), r, ikeSa.remote());
        return List.of(Payload.Notify.of(NotifyType.NAT_DETECTION_SOURCE_IP, source),
                Payload.Notify.of(NotifyType.NAT_DETECTION_DESTINATION_IP, destination));
    }

    /** Compares the peer's NAT-D hashes with our view of the addresses (RFC 7296 section 2.23). */
    private void processNatDetection(IkeMessage m, long spiIForHash, long spiRForHash) {
        List<Payload.Notify> sources = m.notifies().filter(n -> n.notifyType() == NotifyType.NAT_DETECTION_SOURCE_IP).toList();
        Optional<Payload.Notify> destination = m.notify(NotifyType.NAT_DETECTION_DESTINATION_IP);
        boolean detected = false;
        if (!sources.isEmpty() && destination.isPresent()) {
            byte[] peerHash = NatDetection.hash(spiIForHash, spiRForHash, ikeSa.remote());
            boolean peerBehindNat = sources.stream().noneMatch(n -> java.security.MessageDigest.isEqual(n.data(), peerHash));
            boolean weBehindNat = !java.security.MessageDigest.isEqual(destination.get().data(),
                    NatDetection.hash(spiIForHash, spiRForHash, ikeSa.localAddress()));
            detected = peerBehindNat || weBehindNat;
        }
        boolean force = (ikeSa.tunnel() != null && ikeSa.tunnel().definition().forceEncapsulation()) || engine.forceUdpEncapsulation();
        ikeSa.nat(detected, detected || force);
    }

    private void sendUnprotectedError(IkeMessage request, int notifyType, byte[] data) {
        IkeMessage response = new IkeMessage(request.initiatorSpi(), 0, request.exchangeType(), IkeMessage.FLAG_RESPONSE,
                request.messageId(), List.of(Payload.Notify.of(notifyType, data)));
        engine.send(IkeCodec.encode(response), ikeSa.remote(), ikeSa.natt());
    }
}
