package dev.strait.gateway.ike.sa;

import static dev.strait.gateway.ike.sa.IkeSa.selectors;

import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.gateway.ike.auth.AuthOctets;
import dev.strait.gateway.ike.auth.AuthenticationException;
import dev.strait.gateway.ike.auth.Authenticator;
import dev.strait.gateway.ike.auth.Identity;
import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.KeyDerivation;
import dev.strait.gateway.ike.crypto.KeyExchange;
import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeCodec;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.IkePorts;
import dev.strait.gateway.ike.message.NotifyType;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.message.WireBytes;
import dev.strait.gateway.ike.sa.IkeSa.State;
import dev.strait.gateway.ike.sa.ProposalMatcher.EspChoice;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * IKE_INTERMEDIATE (RFC 9242, RFC 9370: the additional key exchanges of the IKE SA and the IntAuth chain) and
 * IKE_AUTH in both roles (RFC 7296 sections 1.2, 2.15): identities, the tunnel's {@link Authenticator}, and the first
 * Child SA. Like strongSwan's ike_auth and child_create tasks in IKE_AUTH; runs on the SA's executor.
 */
final class IkeAuthExchange {
    private static final Logger LOG = LoggerFactory.getLogger(IkeAuthExchange.class);

    private final IkeSaContext.Setup ikeSa;
    private final IkeEngine engine;
    /** Additional key exchanges completed so far. */
    private int additionalKesDone;
    /** The chains IntAuth_i / IntAuth_r over the IKE_INTERMEDIATE messages; null when there were none. */
    private byte[] intAuthI;
    private byte[] intAuthR;
    /** Message ID of the IKE_AUTH request, part of IntAuth. */
    private int authMessageId;
    /** The child we are negotiating in IKE_AUTH (initiator side). */
    private int pendingChildSpi;
    private List<Payload.TrafficSelector> offeredTsi;
    private List<Payload.TrafficSelector> offeredTsr;
    /** Our IKE_AUTH request carried no Child SA: every Child SA comes by CREATE_CHILD_SA (RFC 6023). */
    private boolean sentChildless;

    IkeAuthExchange(IkeSaContext.Setup ikeSa, IkeEngine engine) {
        this.ikeSa = ikeSa;
        this.engine = engine;
    }

    /** After IKE_SA_INIT (initiator): the IKE_INTERMEDIATE exchanges of the chosen additional key exchanges, then IKE_AUTH. */
    void start() {
        ikeSa.tasks().followUp(ikeSa.ikeChoice().additionalKes().isEmpty() ? new AuthRequest() : new Intermediate());
    }

    /** The next additional key exchange (ADDKE n) in its own IKE_INTERMEDIATE exchange. */
    private final class Intermediate implements IkeTask {
        private Algorithms.Group group;
        private KeyExchange kx;
        /** The response is covered with the keys in effect for this exchange. */
        private byte[] skPr;

        @Override
        public int exchangeType() {
            return ExchangeType.IKE_INTERMEDIATE;
        }

        @Override
        public List<Payload> buildRequest(int messageId) {
            floatToNattIfNeeded();
            group = ikeSa.ikeChoice().additionalKes().get(additionalKesDone);
            kx = KeyExchange.generate(group);
            List<Payload> inner = List.of(new Payload.KeyExchange(group.id, kx.publicValue()));
            intAuthI = intAuth(intAuthI, ikeSa.keys().skPi(), ikeSa.ownFlags(false), messageId, inner);
            skPr = ikeSa.keys().skPr();
            LOG.debug("tunnel {}: IKE_INTERMEDIATE {} ({})", ikeSa.name(), additionalKesDone + 1, group);
            return inner;
        }

        @Override
        public void processResponse(IkeMessage response) {
            onIntermediateResponse(group, kx, skPr, response);
        }
    }

    private void onIntermediateResponse(Algorithms.Group group, KeyExchange kx, byte[] skPr, IkeMessage r) {
        if (ikeSa.state() != State.INIT_SENT) {
            return;
        }
        Optional<Payload.Notify> error = r.notifies().filter(Payload.Notify::isError).findFirst();
        Optional<Payload.KeyExchange> k = r.first(Payload.KeyExchange.class);
        if (error.isPresent() || k.isEmpty() || k.get().group() != group.id) {
            ikeSa.fail(FailureReason.PEER_REJECTED, "IKE_INTERMEDIATE response without KEr for " + dev.strait.gateway.ike.crypto.ProposalFormatter.token(group)
                    + error.map(n -> " (" + NotifyType.name(n.notifyType()) + ")").orElse(""));
            return;
        }
        intAuthR = intAuth(intAuthR, skPr, r.flags(), r.messageId(), r.payloads());
        byte[] shared;
        try {
            shared = kx.sharedSecret(k.get().data());
        } catch (GeneralSecurityException e) {
            ikeSa.fail(FailureReason.PEER_REJECTED, "peer's " + dev.strait.gateway.ike.crypto.ProposalFormatter.token(group) + " key exchange value is invalid");
            return;
        }
        updateKeysWithAdditional(shared);
        ikeSa.tasks().followUp(additionalKesDone < ikeSa.ikeChoice().additionalKes().size() ? new Intermediate() : new AuthRequest());
    }

    private void floatToNattIfNeeded() {
        if (ikeSa.udpEncap() && !ikeSa.natt()) {
            // RFC 7296 section 2.23: the initiator floats to port 4500 once NAT-D says so.
            ikeSa.endpoints(new InetSocketAddress(ikeSa.remote().getAddress(), IkePorts.NATT), true,
                    new InetSocketAddress(ikeSa.localAddress().getAddress(), engine.nattPort()));
        }
    }

    /** Our IKE_AUTH: identities, AUTH and (unless childless) the first Child SA. */
    private final class AuthRequest implements IkeTask {
        @Override
        public int exchangeType() {
            return ExchangeType.IKE_AUTH;
        }

        @Override
        public void processResponse(IkeMessage response) {
            onAuthResponse(response);
        }

        /** null (nothing sent) when the SA failed: childless forced but not supported, or no credentials to sign with. */
        @Override
        public List<Payload> buildRequest(int messageId) {
            TunnelDefinition t = ikeSa.tunnel().definition();
            sentChildless = t.childless() == TunnelSpec.Childless.Force
                    || t.childless() == TunnelSpec.Childless.Prefer && ikeSa.peerSupportsChildless();
            if (sentChildless && !ikeSa.peerSupportsChildless()) {
                ikeSa.fail(FailureReason.CHILDLESS_UNSUPPORTED, "ike.childless is Force but the peer did not announce"
                        + " CHILDLESS_IKEV2_SUPPORTED (RFC 6023) in IKE_SA_INIT");
                ikeSa.sendDeleteAndClose();
                return null;
            }
            floatToNattIfNeeded();
            authMessageId = messageId;
            pendingChildSpi = sentChildless ? 0 : engine.allocateChildSpi(); // childless: SPIs come with CREATE_CHILD_SA
            offeredTsi = TrafficSelectors.of(t.firstChildLocalSubnets());
            offeredTsr = TrafficSelectors.of(t.firstChildRemoteSubnets());
            Authenticator authenticator = t.authenticator();
            Authenticator.Own own;
            try {
                own = authenticator.own(ikeSa.prf(), ikeSa.peerSignatureHashes(), ikeSa.peerInitCertReqs(), signedOctets(true, t.localId()));
            } catch (AuthenticationException e) {
                ikeSa.fail(FailureReason.of(e.reason()), "cannot authenticate to the peer: " + e.getMessage());
                return null;
            }
            // RFC 7296 section 1.2 order: IDi, [CERT+], [N(INITIAL_CONTACT)], [CERTREQ], [IDr], AUTH, SA, TSi, TSr.
            List<Payload> inner = new ArrayList<>();
            inner.add(new Payload.Identification(true, t.localId().idType(), t.localId().data()));
            inner.addAll(own.certificates());
            if (engine.isFirstContact(t.name())) {
                inner.add(Payload.Notify.of(NotifyType.INITIAL_CONTACT, new byte[0]));
            }
            inner.addAll(authenticator.certRequests());
            inner.add(new Payload.Identification(false, t.peerId().idType(), t.peerId().data()));
            inner.add(own.auth());
            if (!sentChildless) {
                inner.add(new Payload.Sa(ProposalMatcher.espOffer(t.espProposals(), pendingChildSpi, false)));
                inner.add(new Payload.TrafficSelectors(true, offeredTsi));
                inner.add(new Payload.TrafficSelectors(false, offeredTsr));
            }
            ikeSa.state(State.AUTH_SENT);
            return inner;
        }
    }

    private void onAuthResponse(IkeMessage inner) {
        if (ikeSa.state() != State.AUTH_SENT) {
            return;
        }
        TunnelDefinition t = ikeSa.tunnel().definition();
        Optional<Payload.Notify> authFailed = inner.notify(NotifyType.AUTHENTICATION_FAILED);
        if (authFailed.isPresent()) {
            ikeSa.fail(FailureReason.PEER_REJECTED, "peer rejected our authentication (AUTHENTICATION_FAILED): check credentials and identities");
            ikeSa.close(false);
            return;
        }
        Optional<Payload.Identification> idr = inner.first(Payload.Identification.class).filter(i -> !i.initiator());
        Optional<Payload.Auth> auth = inner.first(Payload.Auth.class);
        if (idr.isEmpty() || auth.isEmpty()) {
            Optional<Payload.Notify> err = inner.notifies().filter(Payload.Notify::isError).findFirst();
            ikeSa.fail(FailureReason.PEER_REJECTED, "IKE_AUTH response without IDr/AUTH"
                    + err.map(n -> " (" + NotifyType.name(n.notifyType()) + ")").orElse(""));
            ikeSa.close(false);
            return;
        }
        Identity peerId = new Identity(idr.get().idType(), idr.get().data());
        if (!peerId.matches(t.peerId())) {
            ikeSa.fail(FailureReason.ID_MISMATCH, "peer identified as '" + peerId + "', expected '" + t.peerId() + "'");
            ikeSa.sendDeleteAndClose();
            return;
        }
        Refusal refused = verifyPeerAuth(t, inner, peerId, auth.get());
        if (refused != null) {
            ikeSa.sendDeleteAndClose();
            return;
        }
        ikeSa.establish(false);
        if (sentChildless) {
            LOG.info("tunnel {}: childless IKE SA up (RFC 6023); creating the Child SAs with CREATE_CHILD_SA", ikeSa.name());
            ikeSa.driveAdditionalChildren();
            ikeSa.childSas().createMissingChildren();
            return;
        }
        Optional<Payload.Notify> childError = inner.notifies().filter(Payload.Notify::isError).findFirst();
        if (childError.isPresent()) {
            FailureReason reason = childError.get().notifyType() == NotifyType.TS_UNACCEPTABLE ? FailureReason.TS_UNACCEPTABLE
                    : childError.get().notifyType() == NotifyType.NO_PROPOSAL_CHOSEN ? FailureReason.NO_PROPOSAL : FailureReason.CHILD_FAILED;
            ikeSa.fail(reason, "IKE SA is up but the peer refused the Child SA: " + NotifyType.name(childError.get().notifyType()));
            ikeSa.sendDeleteAndClose();
            return;
        }
        Optional<Payload.Sa> espAnswer = inner.first(Payload.Sa.class);
        Optional<EspChoice> esp = espAnswer.flatMap(sa -> ProposalMatcher.acceptEspAnswer(sa, t.espProposals(), false));
        List<Payload.TrafficSelector> tsi = selectors(inner, true);
        List<Payload.TrafficSelector> tsr = selectors(inner, false);
        if (espAnswer.isEmpty()) {
            ikeSa.fail(FailureReason.CHILD_FAILED, "IKE SA is up but the peer created no Child SA (IKE_AUTH response without SA payload or error notify)");
            ikeSa.sendDeleteAndClose();
            return;
        }
        if (esp.isEmpty()) {
            ikeSa.fail(FailureReason.NO_PROPOSAL, "peer chose an ESP proposal we did not offer");
            ikeSa.sendDeleteAndClose();
            return;
        }
        if (!TrafficSelectors.isSubset(tsi, offeredTsi) || !TrafficSelectors.isSubset(tsr, offeredTsr)) {
            ikeSa.fail(FailureReason.TS_UNACCEPTABLE, "peer answered with traffic selectors outside the ones we proposed");
            ikeSa.sendDeleteAndClose();
            return;
        }
        ikeSa.installChild(pendingChildSpi, esp.get(), List.of(), ikeSa.ni(), ikeSa.nr(), ikeSa.initiator(), tsi, tsr);
        ikeSa.driveAdditionalChildren();
        ikeSa.childSas().createMissingChildren();
    }

    /** One additional key exchange (RFC 9370 section 2.2.2): answer with our KE, then update the IKE SA keys. */
    void respondIntermediate(IkeMessage m) {
        if (ikeSa.state() != State.RESPONDER_INIT_DONE || additionalKesDone >= ikeSa.ikeChoice().additionalKes().size()) {
            ikeSa.respond(m, List.of(Payload.Notify.of(NotifyType.INVALID_SYNTAX, new byte[0])));
            return;
        }
        Algorithms.Group group = ikeSa.ikeChoice().additionalKes().get(additionalKesDone);
        Optional<Payload.KeyExchange> k = m.first(Payload.KeyExchange.class);
        if (k.isEmpty() || k.get().group() != group.id) {
            LOG.warn("IKE_INTERMEDIATE from {}: expected KEi for {}", ikeSa.remote(), dev.strait.gateway.ike.crypto.ProposalFormatter.token(group));
            ikeSa.respond(m, List.of(Payload.Notify.of(NotifyType.INVALID_SYNTAX, new byte[0])));
            ikeSa.close(false);
            return;
        }
        KeyExchange kx = KeyExchange.generate(group);
        byte[] answer;
        byte[] shared;
        try {
            answer = kx.respond(k.get().data());
            shared = kx.sharedSecret(k.get().data());
        } catch (GeneralSecurityException e) {
            LOG.warn("IKE_INTERMEDIATE from {}: invalid {} key exchange value", ikeSa.remote(), dev.strait.gateway.ike.crypto.ProposalFormatter.token(group));
            ikeSa.respond(m, List.of(Payload.Notify.of(NotifyType.INVALID_SYNTAX, new byte[0])));
            ikeSa.close(false);
            return;
        }
        List<Payload> out = List.of(new Payload.KeyExchange(group.id, answer));
        intAuthI = intAuth(intAuthI, ikeSa.keys().skPi(), m.flags(), m.messageId(), m.payloads());
        intAuthR = intAuth(intAuthR, ikeSa.keys().skPr(), ikeSa.ownFlags(true), m.messageId(), out);
        ikeSa.respond(m, out); // still under the ikeSa.keys() of this exchange
        updateKeysWithAdditional(shared);
    }

    void respondAuth(IkeMessage m) {
        if (ikeSa.state() != State.RESPONDER_INIT_DONE) {
            ikeSa.respond(m, List.of(Payload.Notify.of(NotifyType.INVALID_SYNTAX, new byte[0])));
            return;
        }
        if (additionalKesDone < ikeSa.ikeChoice().additionalKes().size()) {
            respondAuthFailed(m, FailureReason.SYNTAX, "IKE_AUTH before all " + ikeSa.ikeChoice().additionalKes().size()
                    + " additional key exchanges were done");
            return;
        }
        authMessageId = m.messageId();
        Optional<Payload.Identification> idi = m.first(Payload.Identification.class).filter(Payload.Identification::initiator);
        Optional<Payload.Identification> idr = m.first(Payload.Identification.class).filter(i -> !i.initiator());
        Optional<Payload.Auth> auth = m.first(Payload.Auth.class);
        if (idi.isEmpty() || auth.isEmpty()) {
            respondAuthFailed(m, FailureReason.SYNTAX, "IKE_AUTH request without IDi or AUTH");
            return;
        }
        Identity peerId = new Identity(idi.get().idType(), idi.get().data());
        Identity wantedLocal = idr.map(i -> new Identity(i.idType(), i.data())).orElse(null);
        Optional<TunnelRuntime> match = CandidateTunnels.byIdentity(ikeSa.candidates(), peerId, wantedLocal);
        if (match.isEmpty()) {
            String msg = "peer " + ikeSa.remote().getAddress().getHostAddress() + " identified as '" + peerId + "'"
                    + (wantedLocal == null ? "" : " asking for '" + wantedLocal + "'") + ": no tunnel has that identity";
            engine.listener().rejected(IkeRejection.ID_MISMATCH); // not authenticated: no ikeSa.tunnel()'s status changes
            respondAuthFailed(m, null, msg);
            return;
        }
        ikeSa.tunnel(match.get());
        TunnelDefinition t = ikeSa.tunnel().definition();
        Refusal refusal = checkPeerAuth(t, m, peerId, auth.get());
        if (refusal != null) {
            respondAuthFailed(m, refusal.reason(), refusal.message());
            return;
        }
        List<Payload> out = new ArrayList<>();
        out.add(new Payload.Identification(false, t.localId().idType(), t.localId().data()));
        try {
            Authenticator.Own own = t.authenticator().own(ikeSa.prf(), ikeSa.peerSignatureHashes(), m.all(Payload.CertReq.class).toList(),
                    signedOctets(true, t.localId()));
            out.addAll(own.certificates());
            out.add(own.auth());
        } catch (AuthenticationException e) {
            respondAuthFailed(m, FailureReason.of(e.reason()), "cannot authenticate to the peer: " + e.getMessage());
            return;
        }

        // The first Child SA: proposal, then traffic selector narrowing.
        Optional<Payload.Sa> sa = m.first(Payload.Sa.class);
        List<Payload.TrafficSelector> tsi = selectors(m, true);
        List<Payload.TrafficSelector> tsr = selectors(m, false);
        Optional<EspChoice> esp = sa.flatMap(s -> ProposalMatcher.selectEsp(s.proposals(), t.espProposals(), false));
        List<Payload.TrafficSelector> narrowedI = t.narrowAnswer(tsi, t.remoteSubnets());
        List<Payload.TrafficSelector> narrowedR = t.narrowAnswer(tsr, t.localSubnets());
        ikeSa.establish(m.notify(NotifyType.INITIAL_CONTACT).isPresent());
        if (sa.isEmpty()) {
            ikeSa.respond(m, out); // childless IKE SA (RFC 6023)
            return;
        }
        if (esp.isEmpty()) {
            refuseFirstChild(m, out, FailureReason.NO_PROPOSAL, NotifyType.NO_PROPOSAL_CHOSEN, "peer offered no acceptable ESP"
                    + " proposal for the Child SA in IKE_AUTH; answered NO_PROPOSAL_CHOSEN (the IKE SA stays up without a Child SA)");
            return;
        }
        if (narrowedI.isEmpty() || narrowedR.isEmpty()) {
            refuseFirstChild(m, out, FailureReason.TS_UNACCEPTABLE, NotifyType.TS_UNACCEPTABLE, "peer proposed traffic selectors "
                    + TrafficSelectors.describe(tsi) + " <-> " + TrafficSelectors.describe(tsr) + ", outside remote "
                    + t.remoteSubnets() + " / local " + t.localSubnets());
            return;
        }
        int inboundSpi = engine.allocateChildSpi();
        EspChoice chosen = esp.get();
        Payload.Proposal answer = new Payload.Proposal(chosen.wire().number(), Payload.Proposal.PROTOCOL_ESP,
                WireBytes.u32(inboundSpi), chosen.wire().transforms());
        out.add(new Payload.Sa(List.of(answer)));
        out.add(new Payload.TrafficSelectors(true, narrowedI));
        out.add(new Payload.TrafficSelectors(false, narrowedR));
        ikeSa.respond(m, out);
        ikeSa.installChild(inboundSpi, chosen, List.of(), ikeSa.ni(), ikeSa.nr(), ikeSa.initiator(), narrowedI, narrowedR);
    }

    /** The IKE SA is up, its first Child SA refused: noted as the tunnel's lastError, answered with notify. */
    private void refuseFirstChild(IkeMessage m, List<Payload> out, FailureReason reason, int notify, String msg) {
        ikeSa.tunnel().noteError(reason, msg);
        engine.listener().authFailure(ikeSa.tunnel().name(), reason);
        LOG.warn("tunnel {}: {}", ikeSa.tunnel().name(), msg);
        out.add(Payload.Notify.of(notify, new byte[0]));
        ikeSa.respond(m, out);
    }

    private void respondAuthFailed(IkeMessage m, FailureReason reason, String message) {
        if (reason != null && ikeSa.tunnel() != null) {
            ikeSa.tunnel().noteError(reason, message);
            engine.listener().authFailure(ikeSa.tunnel().name(), reason);
        }
        LOG.warn("IKE_AUTH from {} refused: {}", ikeSa.remote(), message);
        ikeSa.respond(m, List.of(Payload.Notify.of(NotifyType.AUTHENTICATION_FAILED, new byte[0])));
        ikeSa.close(false);
    }

    /**
     * The octets an AUTH covers (RFC 7296 section 2.15): ours (own=true) or the peer's, with the ID of that side.
     */
    private byte[] signedOctets(boolean own, Identity id) {
        boolean ofInitiator = own == ikeSa.initiator();
        byte[] intAuth = intAuthI == null ? new byte[0] : AuthOctets.intAuth(intAuthI, intAuthR, authMessageId);
        return AuthOctets.signedOctets(ikeSa.prf(), ofInitiator ? ikeSa.firstMessageI() : ikeSa.firstMessageR(), ofInitiator ? ikeSa.nr() : ikeSa.ni(),
                ofInitiator ? ikeSa.keys().skPi() : ikeSa.keys().skPr(), id, intAuth);
    }

    /**
     * One link of the IntAuth chain (RFC 9242 section 3.3.2): prf(SK_p, previous | A | P), where A is the IKE header and
     * the Encrypted payload header with their lengths as if the SK payload held only the plaintext P (no IV, padding,
     * ICV), computed as if the message had not been fragmented. P is the re-encoded inner payload chain.
     */
    private byte[] intAuth(byte[] previous, byte[] skP, int flags, int messageId, List<Payload> inner) {
        IkeCodec.Chain chain = IkeCodec.encodeChain(inner);
        byte[] a = IkeCodec.encode(new IkeMessage(ikeSa.spiI(), ikeSa.spiR(), ExchangeType.IKE_INTERMEDIATE, flags, messageId,
                List.of(new Payload.Encrypted(chain.firstType(), new byte[0]))));
        int total = a.length + chain.bytes().length;
        WireBytes.putU32(a, 24, total);
        int skLength = IkeCodec.PAYLOAD_HEADER_LENGTH + chain.bytes().length;
        WireBytes.putU16(a, a.length - 2, skLength);
        return ikeSa.prf().compute(skP, previous == null ? new byte[0] : previous, a, chain.bytes());
    }

    /** RFC 9370 section 2.2.2: new IKE SA keys from SK_d and the secret of the additional key exchange just done. */
    private void updateKeysWithAdditional(byte[] shared) {
        Algorithms.Encr encr = ikeSa.ikeChoice().encr().alg();
        ikeSa.updateKeys(KeyDerivation.additionalKeyUpdate(ikeSa.prf(), ikeSa.keys().skD(), shared, ikeSa.ni(), ikeSa.nr(), ikeSa.spiI(),
                ikeSa.spiR(), encr.keyMaterialLength(ikeSa.ikeChoice().encr().keyBits()),
                ikeSa.ikeChoice().integ() == null ? 0 : ikeSa.ikeChoice().integ().keyLength));
        additionalKesDone++;
    }

    /** Why the peer's AUTH was refused: a metric/status reason and a log message. */
    private record Refusal(FailureReason reason, String message) {
    }

    /** Checks the peer's AUTH with the tunnel's authenticator; null when it verifies. */
    private Refusal checkPeerAuth(TunnelDefinition t, IkeMessage m, Identity peerId, Payload.Auth auth) {
        Authenticator.Refusal r = t.authenticator().verify(ikeSa.prf(), m.all(Payload.Cert.class).toList(), peerId, auth,
                signedOctets(false, peerId));
        return r == null ? null : new Refusal(FailureReason.of(r.reason()), r.message());
    }

    /** Initiator: checks the responder's AUTH and records a failure; returns null when it verifies. */
    private Refusal verifyPeerAuth(TunnelDefinition t, IkeMessage m, Identity peerId, Payload.Auth auth) {
        Refusal refusal = checkPeerAuth(t, m, peerId, auth);
        if (refusal != null) {
            ikeSa.fail(refusal.reason(), refusal.message());
        }
        return refusal;
    }
}
