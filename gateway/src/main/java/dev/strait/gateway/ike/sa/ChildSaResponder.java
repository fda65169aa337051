package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.message.WireBytes;
import static dev.strait.gateway.ike.sa.IkeSa.NONCE_LENGTH;
import static dev.strait.gateway.ike.sa.IkeSa.selectors;

import dev.strait.gateway.datapath.spi.Datapath;
import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.KeyExchange;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.NotifyType;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.sa.IkeSa.Child;
import dev.strait.gateway.ike.sa.IkeSa.State;
import dev.strait.gateway.ike.sa.ProposalMatcher.EspChoice;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The responder of CREATE_CHILD_SA and IKE_FOLLOWUP_KE: it hands the peer's IKE SA rekeys to {@link IkeRekeying} and
 * answers its CREATE_CHILD_SA for a Child SA (RFC 7296 sections 1.3.1, 1.3.3): a rekey or an additional Child SA,
 * narrowed to the tunnel, with the IKE_FOLLOWUP_KE exchanges of hybrid key exchanges (RFC 9370 section 2.2.4).
 * Collision bookkeeping stays with our own exchanges (ChildSaExchanges). Runs on the SA's executor.
 */
final class ChildSaResponder {
    private static final Logger LOG = LoggerFactory.getLogger(ChildSaResponder.class);
    private final IkeSaContext ikeSa;
    private final IkeEngine engine;
    private final AdditionalKeyExchanges kes;
    private final ChildSaExchanges childSas;
    private final IkeRekeying ikeRekeying;

    /** Responder: a Child SA creation waiting for its IKE_FOLLOWUP_KE exchanges, keyed by the link we sent. */
    private record PendingChild(byte[] link, EspChoice esp, List<byte[]> secrets, int inboundSpi, byte[] nonceI, byte[] nonceR,
                                List<Payload.TrafficSelector> tsi, List<Payload.TrafficSelector> tsr, Child old) {
    }

    private PendingChild pendingChild;
    /** The link of the peer's multi-KE rekey we dropped after winning a collision: its IKE_FOLLOWUP_KE gets TEMPORARY_FAILURE. */
    private byte[] abandonedLink;

    ChildSaResponder(IkeSaContext ikeSa, IkeEngine engine, ChildSaExchanges childSas, IkeRekeying ikeRekeying,
                     AdditionalKeyExchanges kes) {
        this.ikeSa = ikeSa;
        this.engine = engine;
        this.childSas = childSas;
        this.ikeRekeying = ikeRekeying;
        this.kes = kes;
    }

    /** A peer's CREATE_CHILD_SA: Child SA rekey, additional Child SA, or IKE SA rekey (by the SA payload's protocol). */
    void respondCreateChildSa(IkeMessage m) {
        Optional<Payload.Sa> sa = m.first(Payload.Sa.class);
        Optional<Payload.Nonce> nonce = m.first(Payload.Nonce.class);
        if (sa.isEmpty() || sa.get().proposals().isEmpty() || nonce.isEmpty()) {
            ikeSa.respond(m, List.of(IkeSa.notify(NotifyType.INVALID_SYNTAX, new byte[0])));
            return;
        }
        boolean ikeRekey = sa.get().proposals().getFirst().protocolId() == Payload.Proposal.PROTOCOL_IKE;
        // Child creation waits while our IKE rekey runs, an IKE rekey waits while our Child rekey runs (2.25);
        // two IKE rekeys or two Child rekeys at once are collisions, settled by the nonces (2.8.1, 2.8.2).
        if (ikeSa.state() != State.ESTABLISHED || (!ikeRekey && ikeRekeying.inFlight())
                || (ikeRekey && childSas.rekeyOrCreateInFlight())) {
            ikeSa.respond(m, List.of(IkeSa.notify(NotifyType.TEMPORARY_FAILURE, new byte[0])));
            return;
        }
        if (ikeRekey) {
            ikeRekeying.respondIkeRekey(m, sa.get(), nonce.get().data());
        } else {
            respondChildCreate(m, sa.get(), nonce.get().data());
        }
    }

    /** One IKE_FOLLOWUP_KE of the peer's Child SA creation or IKE SA rekey: our KE, then the next link or the new SA. */
    void respondFollowupKe(IkeMessage m) {
        Optional<Payload.Notify> link = m.notify(NotifyType.ADDITIONAL_KEY_EXCHANGE);
        if (ikeSa.state() == State.ESTABLISHED && ikeRekeying.awaitsFollowupKe(link)) {
            ikeRekeying.respondFollowupKe(m);
            return;
        }
        respondChildFollowupKe(m, link);
    }

    private void respondChildCreate(IkeMessage m, Payload.Sa sa, byte[] nonceI) {
        TunnelDefinition t = ikeSa.tunnel().definition();
        Optional<Payload.Notify> rekey = m.notify(NotifyType.REKEY_SA);
        Child old = null;
        if (rekey.isPresent()) {
            byte[] spi = rekey.get().spi();
            int ours = spi.length == 4 ? WireBytes.u32(spi) : 0;
            old = ikeSa.children().stream().filter(c -> c.outboundSpi() == ours).findFirst().orElse(null);
            if (old == null) {
                refuse(m, new Payload.Notify(Payload.Proposal.PROTOCOL_ESP, spi, NotifyType.CHILD_SA_NOT_FOUND, new byte[0]),
                        FailureReason.CHILD_NOT_FOUND, "the peer asked to rekey Child SA " + (spi.length == 4 ? IkeSa.hex32(ours) : "?")
                                + ", which this IKE SA does not have");
                return;
            }
            if (childSas.isReplaced(old.inboundSpi())) {
                ikeSa.respond(m, List.of(IkeSa.notify(NotifyType.TEMPORARY_FAILURE, new byte[0]))); // our rekey of it already completed
                return;
            }
            if (childSas.rekeyInFollowups(old.inboundSpi())) {
                // RFC 9370 section 2.2.4: our multi-KE rekey of it is past CREATE_CHILD_SA; the peer retries later
                LOG.info("tunnel {}: peer started a rekey of Child SA {}, but ours already sent IKE_FOLLOWUP_KE; answered"
                        + " TEMPORARY_FAILURE", ikeSa.name(), IkeSa.hex32(old.inboundSpi()));
                ikeSa.respond(m, List.of(IkeSa.notify(NotifyType.TEMPORARY_FAILURE, new byte[0])));
                return;
            }
        }
        Optional<Payload.KeyExchange> ke = m.first(Payload.KeyExchange.class);
        Optional<EspChoice> choice = ProposalMatcher.selectEsp(sa.proposals(), t.espProposals(), ke.isPresent());
        if (choice.isEmpty()) {
            refuse(m, IkeSa.notify(NotifyType.NO_PROPOSAL_CHOSEN, new byte[0]), FailureReason.NO_PROPOSAL,
                    "the peer offered no acceptable ESP proposal" + (ke.isPresent() ? " with PFS" : ""));
            return;
        }
        EspChoice chosen = choice.get();
        if (ke.isPresent() && chosen.group() != null && chosen.group().id != ke.get().group()) {
            refuse(m, IkeSa.notify(NotifyType.INVALID_KE_PAYLOAD, WireBytes.u16(chosen.group().id)),
                    FailureReason.INVALID_KE, "the peer's KE is for group " + ke.get().group() + ", we want " + chosen.group());
            return;
        }
        List<Payload.TrafficSelector> tsi = selectors(m, true);
        List<Payload.TrafficSelector> tsr = selectors(m, false);
        List<Payload.TrafficSelector> narrowedI = t.narrowAnswer(tsi, t.remoteSubnets());
        List<Payload.TrafficSelector> narrowedR = t.narrowAnswer(tsr, t.localSubnets());
        if (narrowedI.isEmpty() || narrowedR.isEmpty()) {
            refuse(m, IkeSa.notify(NotifyType.TS_UNACCEPTABLE, new byte[0]), FailureReason.TS_UNACCEPTABLE, "the peer proposed traffic selectors "
                    + TrafficSelectors.describe(tsi) + " <-> " + TrafficSelectors.describe(tsr) + ", outside remote "
                    + t.remoteSubnets() + " / local " + t.localSubnets());
            return;
        }
        AdditionalKeyExchanges.KeAnswer kea = null;
        if (ke.isPresent() && chosen.group() != null) {
            kea = kes.answerKe(m, chosen.group(), ke.get().data());
            if (kea == null) {
                return;
            }
        }
        byte[] shared = kea == null ? null : kea.secret();
        int inboundSpi = engine.allocateChildSpi();
        byte[] nonceR = engine.randomBytes(NONCE_LENGTH);
        List<Payload> out = new ArrayList<>();
        out.add(new Payload.Sa(List.of(new Payload.Proposal(chosen.wire().number(), Payload.Proposal.PROTOCOL_ESP,
                WireBytes.u32(inboundSpi), chosen.wire().transforms()))));
        out.add(new Payload.Nonce(nonceR));
        if (kea != null) {
            out.add(kea.payload());
        }
        out.add(new Payload.TrafficSelectors(true, narrowedI));
        out.add(new Payload.TrafficSelectors(false, narrowedR));
        if (shared != null && !chosen.additionalKes().isEmpty()) {
            // RFC 9370 section 2.2.4: the Child SA is created only after the IKE_FOLLOWUP_KE exchanges.
            if (pendingChild != null) {
                engine.releaseChildSpi(pendingChild.inboundSpi()); // the peer abandoned that one
            }
            byte[] link = engine.randomBytes(16);
            List<byte[]> secrets = new ArrayList<>(List.of(shared));
            pendingChild = new PendingChild(link, chosen, secrets, inboundSpi, nonceI, nonceR, narrowedI, narrowedR, old);
            abandonedLink = null;
            out.add(IkeSa.notify(NotifyType.ADDITIONAL_KEY_EXCHANGE, link));
            ikeSa.respond(m, out);
            if (old != null) {
                childSas.notePeerMultiKeRekey(old.inboundSpi(), nonceI, nonceR, this::abandonPending);
            }
            return;
        }
        ikeSa.respond(m, out);
        installAnswered(inboundSpi, chosen, shared == null ? List.of() : List.of(shared), nonceI, nonceR, narrowedI, narrowedR, old);
    }

    /**
     * Answers the peer's CREATE_CHILD_SA with a refusal, with a log line and the tunnel's lastError naming the cause:
     * a refused rekey or Child SA must not go unnoticed (an INVALID_KE_PAYLOAD is part of negotiating and logged
     * at INFO).
     */
    private void refuse(IkeMessage m, Payload.Notify refusal, FailureReason reason, String why) {
        String what = m.notify(NotifyType.REKEY_SA).isPresent() ? "Child SA rekey" : "new Child SA";
        refuseRequest(ikeSa, LOG, m, refusal, reason, what, why);
    }

    /** One refusal, for Child SA and IKE SA requests alike: the log line, the lastError and the answer. */
    static void refuseRequest(IkeSaContext ikeSa, org.slf4j.Logger log, IkeMessage m, Payload.Notify refusal, FailureReason reason,
            String what, String why) {
        String message = "refused the peer's " + what + ": " + why + "; answered " + NotifyType.name(refusal.notifyType());
        if (refusal.notifyType() == NotifyType.INVALID_KE_PAYLOAD) {
            log.info("tunnel {}: {}", ikeSa.name(), message);
        } else {
            log.warn("tunnel {}: {}", ikeSa.name(), message);
        }
        ikeSa.tunnel().noteError(reason, message);
        ikeSa.respond(m, List.of(refusal));
    }

    /** We won a rekey collision against the peer's multi-KE rekey: its Child SA will not be created. */
    private void abandonPending() {
        if (pendingChild != null) {
            engine.releaseChildSpi(pendingChild.inboundSpi());
            abandonedLink = pendingChild.link();
            pendingChild = null;
        }
    }

    /** The peer's next IKE_FOLLOWUP_KE of a Child SA creation (link: the one it carries); STATE_NOT_FOUND without one. */
    private void respondChildFollowupKe(IkeMessage m, Optional<Payload.Notify> link) {
        if (abandonedLink != null && AdditionalKeyExchanges.links(link, abandonedLink)) {
            LOG.info("tunnel {}: IKE_FOLLOWUP_KE of the peer's rekey that lost the collision; answered TEMPORARY_FAILURE",
                    ikeSa.name());
            abandonedLink = null;
            ikeSa.respond(m, List.of(IkeSa.notify(NotifyType.TEMPORARY_FAILURE, new byte[0])));
            return;
        }
        PendingChild p = pendingChild;
        if (p == null || !AdditionalKeyExchanges.links(link, p.link()) || ikeSa.state() != State.ESTABLISHED) {
            ikeSa.respond(m, List.of(IkeSa.notify(NotifyType.STATE_NOT_FOUND, new byte[0])));
            return;
        }
        Algorithms.Group group = p.esp().additionalKes().get(p.secrets().size() - 1);
        AdditionalKeyExchanges.KeAnswer kea = kes.answerFollowupKe(m, group);
        if (kea == null) {
            return;
        }
        p.secrets().add(kea.secret());
        List<Payload> out = new ArrayList<>();
        out.add(kea.payload());
        if (p.secrets().size() <= p.esp().additionalKes().size()) {
            byte[] next = engine.randomBytes(16);
            pendingChild = new PendingChild(next, p.esp(), p.secrets(), p.inboundSpi(), p.nonceI(), p.nonceR(), p.tsi(), p.tsr(), p.old());
            out.add(IkeSa.notify(NotifyType.ADDITIONAL_KEY_EXCHANGE, next));
            ikeSa.respond(m, out);
            return;
        }
        pendingChild = null;
        ikeSa.respond(m, out);
        installAnswered(p.inboundSpi(), p.esp(), p.secrets(), p.nonceI(), p.nonceR(), p.tsi(), p.tsr(), p.old());
    }

    /**
     * The Child SA we just answered. A rekey's new SA sends only once the peer uses it or deletes the old one: our
     * answer may be lost, and until the peer has it, the peer cannot read the new SA (make-before-break, as strongSwan).
     */
    private void installAnswered(int inboundSpi, EspChoice esp, List<byte[]> secrets, byte[] nonceI, byte[] nonceR,
                                 List<Payload.TrafficSelector> tsi, List<Payload.TrafficSelector> tsr, Child old) {
        Child created = ikeSa.installChild(inboundSpi, esp, secrets, nonceI, nonceR, false, tsi, tsr,
                old == null ? Datapath.Outbound.NOW : Datapath.Outbound.AFTER_PEER);
        childSas.afterPeerChildCreate(created, old, nonceI, nonceR);
    }
}
