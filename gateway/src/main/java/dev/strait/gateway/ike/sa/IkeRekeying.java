package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.message.WireBytes;
import static dev.strait.gateway.ike.sa.IkeSa.NONCE_LENGTH;
import static dev.strait.gateway.ike.sa.IkeSa.hex;
import static dev.strait.gateway.ike.sa.IkeInitExchange.preferGroupFirst;

import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.KeyExchange;
import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.NotifyType;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.sa.IkeSa.State;
import dev.strait.gateway.ike.sa.ProposalMatcher.IkeChoice;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rekeying one IKE SA (RFC 7296 section 2.18), in either role, with the IKE_FOLLOWUP_KE chains of hybrid key
 * exchanges (RFC 9370 section 2.2.4) and simultaneous rekeys (section 2.8.2): the successor IKE SA takes the Child
 * SAs over. Like strongSwan's ike_rekey task; runs on the SA's executor.
 */
final class IkeRekeying {
    private static final Logger LOG = LoggerFactory.getLogger(IkeRekeying.class);

    /** Responder: the peer's IKE SA rekey waiting for its IKE_FOLLOWUP_KE exchanges, keyed by the link we sent. */
    private record PendingIkeRekey(byte[] link, IkeChoice choice, List<byte[]> secrets, long peerSpi, long newSpi,
                                   byte[] nonceI, byte[] nonceR) {
    }

    /** Our IKE SA rekey between its CREATE_CHILD_SA response and its last IKE_FOLLOWUP_KE (RFC 9370 section 2.2.4). */
    private record IkeRekey(long newSpi, long peerSpi, IkeChoice choice, byte[] nonceI, byte[] nonceR, List<byte[]> secrets) {
    }

    private final IkeSaContext ikeSa;
    private final IkeEngine engine;
    private final AdditionalKeyExchanges kes;
    private final TaskManager tasks;
    private final SaTimers timers;
    private boolean ikeRekeyInFlight;
    /** The successor created by the peer's IKE rekey that we answered while ours was in flight. */
    private IkeSa peerIkeRekey;
    private byte[] peerIkeRekeyMinNonce;
    private PendingIkeRekey pendingIkeRekey;
    /** Our multi-KE rekey sent its first IKE_FOLLOWUP_KE: a peer's rekey now comes too late to be settled by nonces. */
    private boolean ikeRekeyInFollowups;
    /** The smallest nonce of the peer's multi-KE rekey we answered while ours waited for its CREATE_CHILD_SA answer. */
    private byte[] peerMultiKeMinNonce;
    /** The link of the peer's multi-KE rekey we dropped after winning the collision: its IKE_FOLLOWUP_KE gets TEMPORARY_FAILURE. */
    private byte[] abandonedLink;

    IkeRekeying(IkeSaContext ikeSa, IkeEngine engine, TaskManager tasks, SaTimers timers, AdditionalKeyExchanges kes) {
        this.ikeSa = ikeSa;
        this.engine = engine;
        this.tasks = tasks;
        this.timers = timers;
        this.kes = kes;
    }

    /** Our IKE rekey runs: a peer's Child SA creation waits (section 2.25). */
    boolean inFlight() {
        return ikeRekeyInFlight;
    }

    /** link is the one we sent in the peer's IKE rekey that waits for its next IKE_FOLLOWUP_KE. */
    boolean awaitsFollowupKe(Optional<Payload.Notify> link) {
        return pendingIkeRekey != null && AdditionalKeyExchanges.links(link, pendingIkeRekey.link())
                || abandonedLink != null && AdditionalKeyExchanges.links(link, abandonedLink);
    }

    /** The peer's next IKE_FOLLOWUP_KE of its IKE rekey (awaitsFollowupKe said so). */
    void respondFollowupKe(IkeMessage m) {
        if (pendingIkeRekey == null) {
            LOG.info("tunnel {}: IKE_FOLLOWUP_KE of the peer's IKE SA rekey that lost the collision; answered TEMPORARY_FAILURE",
                    ikeSa.name());
            abandonedLink = null;
            ikeSa.respond(m, List.of(IkeSa.notify(NotifyType.TEMPORARY_FAILURE, new byte[0])));
            return;
        }
        respondIkeFollowupKe(m, pendingIkeRekey);
    }

    /** Rekeys this IKE SA (section 2.18): new SPIs and keys from SK_d; the children move to the successor. */
    void rekeyIke(Algorithms.Group forcedGroup) {
        if (ikeSa.state() != State.ESTABLISHED) {
            return;
        }
        tasks.queue(new IkeRekeyTask(forcedGroup));
    }

    /** Our CREATE_CHILD_SA for the IKE SA, like strongSwan's ike_rekey task as initiator. */
    private final class IkeRekeyTask extends IkeTask.CreateChildSa {
        private final Algorithms.Group forcedGroup;
        private KeyExchange kx;
        private long newSpi;
        private byte[] nonce;

        IkeRekeyTask(Algorithms.Group forcedGroup) {
            this.forcedGroup = forcedGroup;
        }

        @Override
        public List<Payload> buildRequest(int messageId) {
            if (ikeSa.state() != State.ESTABLISHED) {
                return null;
            }
            if (pendingIkeRekey != null) {
                // The peer's own rekey of this SA waits for its IKE_FOLLOWUP_KE exchanges: it wins, ours may follow later.
                ikeSa.retryLater(() -> rekeyIke(forcedGroup));
                return null;
            }
            TunnelDefinition t = ikeSa.tunnel().definition();
            Algorithms.Group group = forcedGroup != null ? forcedGroup : ikeSa.ikeChoice().group();
            kx = KeyExchange.generate(group);
            newSpi = engine.newSpi();
            nonce = engine.randomBytes(NONCE_LENGTH);
            ikeRekeyInFlight = true;
            LOG.info("tunnel {}: rekeying IKE SA {}", ikeSa.name(), hex(ikeSa.localSpi()));
            return List.of(
                    new Payload.Sa(ProposalMatcher.ikeOffer(preferGroupFirst(t.ikeProposals(), group), WireBytes.u64(newSpi))),
                    new Payload.Nonce(nonce),
                    new Payload.KeyExchange(group.id, kx.publicValue()));
        }

        @Override
        public void processResponse(IkeMessage response) {
            onIkeRekeyResponse(newSpi, nonce, kx, response);
        }
    }

    private void onIkeRekeyResponse(long newSpi, byte[] nonceI, KeyExchange kx, IkeMessage r) {
        if (ikeSa.state() != State.ESTABLISHED) {
            forgetRekeys();
            return;
        }
        TunnelDefinition t = ikeSa.tunnel().definition();
        Optional<Payload.Notify> error = r.notifies().filter(Payload.Notify::isError).findFirst();
        Optional<Payload.Sa> sa = r.first(Payload.Sa.class);
        Optional<IkeChoice> choice = sa.flatMap(x -> ProposalMatcher.acceptIkeAnswer(x, t.ikeProposals()));
        Optional<Payload.Nonce> nonceR = r.first(Payload.Nonce.class);
        Optional<Payload.KeyExchange> ke = r.first(Payload.KeyExchange.class);
        byte[] shared = null;
        if (error.isEmpty() && choice.isPresent() && nonceR.isPresent() && ke.isPresent()
                && sa.get().proposals().getFirst().spi().length == 8 && ke.get().group() == kx.group().id
                && choice.get().group() == kx.group()) {
            try {
                shared = kx.sharedSecret(ke.get().data());
            } catch (GeneralSecurityException e) {
                shared = null;
            }
        }
        byte[] peerMinNonce = peerMultiKeMinNonce;
        peerMultiKeMinNonce = null;
        if (shared == null) {
            int type = error.map(Payload.Notify::notifyType).orElse(-1);
            if (ikeRekeyFailedToThePeers()) {
                return;
            }
            if (peerMinNonce != null && pendingIkeRekey != null) {
                return; // the peer's multi-KE rekey won (TEMPORARY_FAILURE): it goes on and replaces this SA
            }
            if (type == NotifyType.TEMPORARY_FAILURE) {
                LOG.info("tunnel {}: peer answered the IKE SA rekey with TEMPORARY_FAILURE; retrying", ikeSa.name());
                ikeSa.retryLater(() -> rekeyIke(null));
            } else if (type == NotifyType.INVALID_KE_PAYLOAD && error.get().data().length == 2) {
                int wanted = WireBytes.u16(error.get().data());
                // A group we offer and did not just send; anything else would loop or can never succeed.
                t.ikeProposals().stream().flatMap(p -> p.groups().stream()).filter(g -> g.id == wanted && g != kx.group())
                        .findFirst().ifPresentOrElse(this::rekeyIke, () -> {
                            LOG.warn("tunnel {}: IKE SA rekey failed: the peer wants key exchange group {}", ikeSa.name(), wanted);
                            ikeSa.tunnel().noteError(FailureReason.REKEY_FAILED, "peer wants key exchange group " + wanted
                                    + " for the IKE SA rekey, which the tunnel's ike.proposals do not offer");
                        });
            } else {
                noteRekeyFailed(error.map(n -> NotifyType.name(n.notifyType())).orElse("an unusable answer"));
            }
            return;
        }
        if (peerMinNonce != null && pendingIkeRekey != null && !choice.get().additionalKes().isEmpty()
                && lostMultiKeCollision(newSpi, Lifetimes.minNonce(nonceI, nonceR.get().data()), peerMinNonce)) {
            return;
        }
        IkeRekey rekey = new IkeRekey(newSpi, WireBytes.u64(sa.get().proposals().getFirst().spi()), choice.get(), nonceI,
                nonceR.get().data(), new ArrayList<>(List.of(shared)));
        continueIkeRekey(rekey, r);
    }

    /**
     * RFC 9370 section 2.2.4, as strongSwan 6 does: simultaneous multi-KE rekeys of the IKE SA are settled right after
     * the CREATE_CHILD_SA exchanges, by the nonces. The loser stops before any IKE_FOLLOWUP_KE; the winner drops the
     * loser's exchange and goes on. Returns whether we lost.
     */
    private boolean lostMultiKeCollision(long newSpi, byte[] ourMinNonce, byte[] theirMinNonce) {
        engine.listener().rekeyCollision(ikeSa.name(), "ike");
        if (Lifetimes.oursIsRedundant(ourMinNonce, theirMinNonce)) {
            LOG.info("tunnel {}: IKE SA rekey collision, ours {} is redundant: abandoning it before IKE_FOLLOWUP_KE",
                    ikeSa.name(), hex(newSpi));
            ikeRekeyInFlight = false; // the peer's rekey goes on; its successor takes the children
            return true;
        }
        LOG.info("tunnel {}: IKE SA rekey collision, ours {} wins: continuing with IKE_FOLLOWUP_KE", ikeSa.name(), hex(newSpi));
        abandonedLink = pendingIkeRekey.link();
        pendingIkeRekey = null;
        return false;
    }

    /** After each key exchange of our IKE rekey: the next IKE_FOLLOWUP_KE while additional ones remain, else the successor. */
    private void continueIkeRekey(IkeRekey rekey, IkeMessage answer) {
        if (rekey.secrets().size() > rekey.choice().additionalKes().size()) {
            finishIkeRekey(rekey);
            return;
        }
        Optional<Payload.Notify> link = answer.notify(NotifyType.ADDITIONAL_KEY_EXCHANGE);
        if (link.isEmpty()) {
            failIkeRekey("the peer's answer has no ADDITIONAL_KEY_EXCHANGE link to the next key exchange");
            return;
        }
        sendIkeFollowupKe(rekey, link.get().data());
    }

    /** The next additional key exchange of our IKE SA rekey (RFC 9370 section 2.2.4), over this (the old) IKE SA. */
    private void sendIkeFollowupKe(IkeRekey rekey, byte[] link) {
        Algorithms.Group group = rekey.choice().additionalKes().get(rekey.secrets().size() - 1);
        ikeRekeyInFollowups = true;
        kes.sendFollowupKe(group, link, "IKE SA rekey", (shared, r) -> {
            ikeRekeyInFollowups = false; // set again by the next IKE_FOLLOWUP_KE, if one follows
            if (ikeSa.state() != State.ESTABLISHED) {
                forgetRekeys();
                return;
            }
            if (shared == null) {
                failIkeRekey("IKE_FOLLOWUP_KE failed: " + r.notifies().filter(Payload.Notify::isError).findFirst()
                        .map(n -> NotifyType.name(n.notifyType())).orElse("no valid KEr"));
                return;
            }
            rekey.secrets().add(shared);
            continueIkeRekey(rekey, r);
        });
    }

    private void failIkeRekey(String why) {
        if (!ikeRekeyFailedToThePeers()) {
            noteRekeyFailed(why);
        }
    }

    private void noteRekeyFailed(String why) {
        LOG.warn("tunnel {}: IKE SA rekey failed: {}", ikeSa.name(), why);
        ikeSa.tunnel().noteError(FailureReason.REKEY_FAILED, "IKE SA rekey failed: " + why);
    }

    /** This SA is gone: neither our rekey nor a peer's successor waiting on its outcome matter any more. */
    private void forgetRekeys() {
        ikeRekeyInFlight = false;
        peerIkeRekey = null;
    }

    /**
     * Ends our failed IKE rekey. True when the peer's rekey of this SA completed meanwhile (a collision that ours
     * lost outright): its successor takes the children, as if ours had never been sent.
     */
    private boolean ikeRekeyFailedToThePeers() {
        ikeRekeyInFlight = false;
        IkeSa theirs = peerIkeRekey;
        peerIkeRekey = null;
        if (theirs == null || theirs.state() != State.ESTABLISHED) {
            return false;
        }
        LOG.info("tunnel {}: our IKE SA rekey failed, the peer's {} stands", ikeSa.name(), hex(theirs.localSpi()));
        ikeSa.handOver(theirs);
        theirs.execute(theirs::startAsSuccessor);
        closeAfterPeerRekey();
        return true;
    }

    /** All key exchanges of our IKE rekey are done: the successor takes over, or the peer's if it won a collision. */
    private void finishIkeRekey(IkeRekey rekey) {
        ikeRekeyInFlight = false;
        IkeSa theirs = peerIkeRekey;
        peerIkeRekey = null;
        long newSpi = rekey.newSpi();
        IkeSa next = ikeSa.successor(true, newSpi, rekey.peerSpi(), rekey.choice(), rekey.nonceI(), rekey.nonceR(), rekey.secrets());
        engine.listener().ikeRekey(ikeSa.name());
        boolean oursRedundant = theirs != null && theirs.state() == State.ESTABLISHED
                && Lifetimes.oursIsRedundant(Lifetimes.minNonce(rekey.nonceI(), rekey.nonceR()), peerIkeRekeyMinNonce);
        if (theirs != null) {
            engine.listener().rekeyCollision(ikeSa.name(), "ike");
        }
        if (oursRedundant) {
            // The peer's rekey wins: it gets the children and deletes this SA; we delete our redundant successor.
            LOG.info("tunnel {}: IKE SA rekey collision, ours {} is redundant", ikeSa.name(), hex(newSpi));
            ikeSa.handOver(theirs);
            theirs.execute(theirs::startAsSuccessor);
            engine.register(next);
            next.execute(next::sendDeleteAndClose);
            return;
        }
        if (theirs != null) {
            LOG.info("tunnel {}: IKE SA rekey collision, ours {} wins", ikeSa.name(), hex(newSpi));
        }
        ikeSa.handOver(next);
        engine.register(next);
        next.execute(next::startAsSuccessor);
        if (theirs != null) {
            theirs.execute(theirs::closeIfRedundant); // the peer should delete it; if it does not, we do
        }
        ikeSa.sendDeleteAndClose(); // make-before-break: the children already live in the successor
    }

    void respondIkeRekey(IkeMessage m, Payload.Sa sa, byte[] nonceI) {
        pendingIkeRekey = null; // a new rekey request: the peer abandoned any earlier one
        abandonedLink = null;
        TunnelDefinition t = ikeSa.tunnel().definition();
        Optional<Payload.KeyExchange> ke = m.first(Payload.KeyExchange.class);
        Payload.Proposal first = sa.proposals().getFirst();
        if (ke.isEmpty() || first.spi().length != 8) {
            ikeSa.respond(m, List.of(IkeSa.notify(NotifyType.INVALID_SYNTAX, new byte[0])));
            return;
        }
        Optional<IkeChoice> choice = ProposalMatcher.selectIke(sa.proposals(), t.ikeProposals(), ke.get().group());
        if (choice.isEmpty()) {
            refuse(m, IkeSa.notify(NotifyType.NO_PROPOSAL_CHOSEN, new byte[0]), FailureReason.NO_PROPOSAL, "the peer offered no acceptable IKE proposal");
            return;
        }
        if (choice.get().group().id != ke.get().group()) {
            int g = choice.get().group().id;
            refuse(m, IkeSa.notify(NotifyType.INVALID_KE_PAYLOAD, WireBytes.u16(g)), FailureReason.INVALID_KE,
                    "the peer's KE is for group " + ke.get().group() + ", we want " + choice.get().group());
            return;
        }
        boolean hybrid = !choice.get().additionalKes().isEmpty();
        if (hybrid && ikeRekeyInFlight && ikeRekeyInFollowups) {
            // RFC 9370 section 2.2.4: ours is past CREATE_CHILD_SA, too late to settle by nonces: the peer retries
            // after a random delay (RFC 7296 section 2.25), by when ours has finished or failed.
            LOG.info("tunnel {}: peer started an IKE SA rekey, but ours already sent IKE_FOLLOWUP_KE; answered TEMPORARY_FAILURE",
                    ikeSa.name());
            ikeSa.respond(m, List.of(IkeSa.notify(NotifyType.TEMPORARY_FAILURE, new byte[0])));
            return;
        }
        AdditionalKeyExchanges.KeAnswer kea = kes.answerKe(m, choice.get().group(), ke.get().data());
        if (kea == null) {
            return;
        }
        long newSpi = engine.newSpi();
        long peerSpi = WireBytes.u64(choice.get().wire().spi());
        byte[] nonceR = engine.randomBytes(NONCE_LENGTH);
        List<Payload> out = new ArrayList<>(List.of(new Payload.Sa(List.of(new Payload.Proposal(choice.get().wire().number(),
                Payload.Proposal.PROTOCOL_IKE, WireBytes.u64(newSpi), choice.get().wire().transforms()))), new Payload.Nonce(nonceR),
                kea.payload()));
        List<byte[]> secrets = new ArrayList<>(List.of(kea.secret()));
        if (hybrid) {
            // RFC 9370 section 2.2.4: the new IKE SA exists only after the IKE_FOLLOWUP_KE exchanges.
            byte[] link = engine.randomBytes(16);
            pendingIkeRekey = new PendingIkeRekey(link, choice.get(), secrets, peerSpi, newSpi, nonceI, nonceR);
            out.add(IkeSa.notify(NotifyType.ADDITIONAL_KEY_EXCHANGE, link));
            ikeSa.respond(m, out);
            if (ikeRekeyInFlight) {
                peerMultiKeMinNonce = Lifetimes.minNonce(nonceI, nonceR); // a collision, settled when our answer arrives
            }
            return;
        }
        IkeSa next = adoptPeerIkeRekey(choice.get(), peerSpi, newSpi, nonceI, nonceR, secrets);
        ikeSa.respond(m, out);
        afterPeerIkeRekeyAnswered(next);
    }

    /** Answers the peer's IKE SA rekey with a refusal, logged and noted as the tunnel's lastError (INVALID_KE at INFO). */
    private void refuse(IkeMessage m, Payload.Notify refusal, FailureReason reason, String why) {
        ChildSaResponder.refuseRequest(ikeSa, LOG, m, refusal, reason, "IKE SA rekey", why);
    }

    /** One IKE_FOLLOWUP_KE of the peer's IKE SA rekey: our KE, then the next link or the successor. */
    private void respondIkeFollowupKe(IkeMessage m, PendingIkeRekey p) {
        Algorithms.Group group = p.choice().additionalKes().get(p.secrets().size() - 1);
        AdditionalKeyExchanges.KeAnswer kea = kes.answerFollowupKe(m, group);
        if (kea == null) {
            return;
        }
        p.secrets().add(kea.secret());
        List<Payload> out = new ArrayList<>(List.of(kea.payload()));
        if (p.secrets().size() <= p.choice().additionalKes().size()) {
            byte[] next = engine.randomBytes(16);
            pendingIkeRekey = new PendingIkeRekey(next, p.choice(), p.secrets(), p.peerSpi(), p.newSpi(), p.nonceI(), p.nonceR());
            out.add(IkeSa.notify(NotifyType.ADDITIONAL_KEY_EXCHANGE, next));
            ikeSa.respond(m, out);
            return;
        }
        pendingIkeRekey = null;
        IkeSa next = adoptPeerIkeRekey(p.choice(), p.peerSpi(), p.newSpi(), p.nonceI(), p.nonceR(), p.secrets());
        ikeSa.respond(m, out);
        afterPeerIkeRekeyAnswered(next);
    }

    /** The peer's completed IKE rekey: its successor, registered, with the children unless our rekey runs too. */
    private IkeSa adoptPeerIkeRekey(IkeChoice choice, long peerSpi, long newSpi, byte[] nonceI, byte[] nonceR,
                                   List<byte[]> secrets) {
        IkeSa next = ikeSa.successor(false, peerSpi, newSpi, choice, nonceI, nonceR, secrets);
        engine.listener().ikeRekey(ikeSa.name());
        if (ikeRekeyInFlight) {
            // Collision: which successor survives is settled when our own rekey's answer arrives.
            peerIkeRekey = next;
            peerIkeRekeyMinNonce = Lifetimes.minNonce(nonceI, nonceR);
        } else {
            ikeSa.handOver(next);
        }
        engine.register(next);
        LOG.info("tunnel {}: peer rekeyed IKE SA {} -> {}", ikeSa.name(), hex(ikeSa.localSpi()), hex(newSpi));
        return next;
    }

    private void afterPeerIkeRekeyAnswered(IkeSa next) {
        if (!ikeRekeyInFlight) {
            next.execute(next::startAsSuccessor);
            closeAfterPeerRekey();
        }
    }

    /** The peer deletes this replaced SA; should it not, it goes away after the retransmission window. */
    private void closeAfterPeerRekey() {
        timers.after(engine.settings().retransmits().stream().reduce(Duration.ZERO, Duration::plus).plusSeconds(10), () -> {
            if (ikeSa.state() == State.REKEYED) {
                ikeSa.close(false);
            }
        });
    }
}
