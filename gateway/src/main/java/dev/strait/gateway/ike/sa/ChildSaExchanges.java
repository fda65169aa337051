package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.message.WireBytes;
import static dev.strait.gateway.ike.sa.IkeSa.NONCE_LENGTH;
import static dev.strait.gateway.ike.sa.IkeSa.hex32;
import static dev.strait.gateway.ike.sa.IkeSa.selectors;

import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.KeyExchange;
import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.NotifyType;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.sa.IkeSa.Child;
import dev.strait.gateway.ike.sa.IkeSa.State;
import dev.strait.gateway.ike.sa.ProposalMatcher.EspChoice;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Child SA exchanges this IKE SA starts (RFC 7296 sections 1.3, 1.4.1, 2.8): rekeys (make-before-break, with
 * collisions settled by the nonces, section 2.8.1), additional Child SAs for the subnet pairs the peer left out
 * (section 1.3.1), their IKE_FOLLOWUP_KE chains (RFC 9370 section 2.2.4), and Child SA deletes. Like strongSwan's
 * child_rekey / child_create tasks; runs on the SA's executor.
 */
final class ChildSaExchanges {
    private static final Logger LOG = LoggerFactory.getLogger(ChildSaExchanges.class);

    private final IkeSaContext ikeSa;
    private final IkeEngine engine;
    private final AdditionalKeyExchanges kes;
    private final TaskManager tasks;

    // Rekeying (RFC 7296 sections 1.3, 2.8): what is in flight, for collision handling (2.8.1 / 2.8.2).
    /** Inbound SPIs of children already replaced by a completed rekey (either side): never rekeyed twice. */
    private final java.util.Set<Integer> replaced = new java.util.HashSet<>();
    /** Children whose DELETE we queued or sent. */
    private final java.util.Set<Child> deleting = new java.util.HashSet<>();
    /** Old child inbound SPI -> the peer's rekey of it that we answered while ours was in flight. */
    private final java.util.Map<Integer, RekeyExchange> peerChildRekeys = new java.util.HashMap<>();
    private Integer childRekeyInFlight;
    /** Old child inbound SPI of our multi-KE rekey once it sent its first IKE_FOLLOWUP_KE (RFC 9370 section 2.2.4). */
    private Integer rekeyInFollowups;
    /** Old child inbound SPI -> the peer's multi-KE rekey of it that we answered while ours waited for its answer. */
    private final java.util.Map<Integer, PeerMultiKeRekey> peerMultiKeRekeys = new java.util.HashMap<>();

    /** The peer's multi-KE rekey, between its CREATE_CHILD_SA and its IKE_FOLLOWUP_KEs; abandon drops our state of it. */
    private record PeerMultiKeRekey(byte[] minNonce, Runnable abandon) {
    }

    // Additional Child SAs (RFC 7296 section 1.3.1) for subnet pairs the peer left out of the IKE_AUTH Child SA.
    /** Pairs already tried on this IKE SA: one CREATE_CHILD_SA each per IKE SA, never a retry loop. */
    private final java.util.Set<SubnetPairs.Pair> triedPairs = new java.util.HashSet<>();
    /** Pairs the peer refused on this IKE SA, with the refusal, in the order tried. */
    private final java.util.Map<SubnetPairs.Pair, String> refusedPairs = new java.util.LinkedHashMap<>();
    /** TEMPORARY_FAILURE answers per pair: retried a few times, then counted as refused. */
    private final java.util.Map<SubnetPairs.Pair, Integer> temporaryFailures = new java.util.HashMap<>();
    private static final int MAX_TEMPORARY_FAILURES = 3;
    private boolean childCreateInFlight;
    /** Child SAs re-created on this IKE SA after the peer deleted them (bounded by MAX_RECREATIONS). */
    private int recreations;
    private static final int MAX_RECREATIONS = 5;

    ChildSaExchanges(IkeSaContext ikeSa, IkeEngine engine, TaskManager tasks, AdditionalKeyExchanges kes) {
        this.ikeSa = ikeSa;
        this.engine = engine;
        this.tasks = tasks;
        this.kes = kes;
    }

    /** A Child SA rekey or creation of ours runs: a peer's IKE rekey waits (section 2.25). */
    boolean rekeyOrCreateInFlight() {
        return childRekeyInFlight != null || childCreateInFlight;
    }

    /**
     * Our multi-KE rekey of this Child SA already sent IKE_FOLLOWUP_KE: a rekey of it by the peer now comes too late
     * for the collision to be settled by nonces, and is answered TEMPORARY_FAILURE (RFC 9370 section 2.2.4).
     */
    boolean rekeyInFollowups(int inboundSpi) {
        return rekeyInFollowups != null && rekeyInFollowups == inboundSpi;
    }

    /**
     * We answered the peer's rekey of this Child SA, which continues with IKE_FOLLOWUP_KE. While our own rekey of it
     * waits for its CREATE_CHILD_SA answer, that is a collision, settled as soon as the answer arrives.
     */
    void notePeerMultiKeRekey(int oldInbound, byte[] nonceI, byte[] nonceR, Runnable abandon) {
        if (childRekeyInFlight != null && childRekeyInFlight == oldInbound) {
            peerMultiKeRekeys.put(oldInbound, new PeerMultiKeRekey(Lifetimes.minNonce(nonceI, nonceR), abandon));
        }
    }

    /** The Child SA (by inbound SPI) was already replaced by a completed rekey. */
    boolean isReplaced(int inboundSpi) {
        return replaced.contains(inboundSpi);
    }

    /**
     * Children on their way out: replaced by a rekey, or the redundant result of a collision, whose DELETE has not
     * completed. An IKE rekey that hands the children over drops that DELETE, so the successor must send it again.
     */
    List<Child> retiring() {
        return ikeSa.children().stream().filter(c -> replaced.contains(c.inboundSpi()) || deleting.contains(c)).toList();
    }

    /** One side of a possible rekey collision: the smallest nonce of that exchange and what it created. */
    private record RekeyExchange(byte[] minNonce, Child child) {
    }

    /** The PFS group for Child SA rekeys: the first group of our ESP proposals, null without PFS. */
    private static Algorithms.Group pfsGroup(TunnelDefinition t) {
        return t.espProposals().stream().flatMap(p -> p.groups().stream()).findFirst().orElse(null);
    }

    /** Our CREATE_CHILD_SA request for a Child SA: the new inbound SPI, our nonce and KE (null without PFS). */
    private record ChildOffer(KeyExchange kx, int newSpi, byte[] nonce, List<Payload> payloads) {
        String pfs() {
            return kx == null ? "" : " (PFS " + kx.group() + ")";
        }
    }

    /**
     * Section 1.3.1 order: [N(REKEY_SA)], SA, Ni, [KEi], TSi, TSr; PFS with forcedGroup, else with the first group of
     * the ESP proposals, if any.
     */
    private ChildOffer childOffer(Algorithms.Group forcedGroup, Payload.Notify rekeySa, List<Payload.TrafficSelector> tsi,
                                  List<Payload.TrafficSelector> tsr) {
        TunnelDefinition t = ikeSa.tunnel().definition();
        Algorithms.Group group = forcedGroup != null ? forcedGroup : pfsGroup(t);
        KeyExchange kx = group == null ? null : KeyExchange.generate(group);
        int newSpi = engine.allocateChildSpi();
        byte[] nonce = engine.randomBytes(NONCE_LENGTH);
        List<Payload> inner = new ArrayList<>();
        if (rekeySa != null) {
            inner.add(rekeySa);
        }
        inner.add(new Payload.Sa(ProposalMatcher.espOffer(t.espProposals(), newSpi, kx != null)));
        inner.add(new Payload.Nonce(nonce));
        if (kx != null) {
            inner.add(new Payload.KeyExchange(group.id, kx.publicValue()));
        }
        inner.add(new Payload.TrafficSelectors(true, tsi));
        inner.add(new Payload.TrafficSelectors(false, tsr));
        return new ChildOffer(kx, newSpi, nonce, inner);
    }

    /** Rekeys one Child SA (make-before-break): new SA installed first, the old one deleted afterwards. */
    void rekeyChild(int oldInbound, Algorithms.Group forcedGroup) {
        if (ikeSa.state() != State.ESTABLISHED) {
            return;
        }
        tasks.queue(new ChildRekeyTask(oldInbound, forcedGroup));
    }

    /** Our CREATE_CHILD_SA rekeying one Child SA, like strongSwan's child_rekey task as initiator. */
    private final class ChildRekeyTask extends IkeTask.CreateChildSa {
        private final int oldInbound;
        private final Algorithms.Group forcedGroup;
        private Child old;
        private ChildOffer offer;

        ChildRekeyTask(int oldInbound, Algorithms.Group forcedGroup) {
            this.oldInbound = oldInbound;
            this.forcedGroup = forcedGroup;
        }

        /** null when the Child SA went, was replaced meanwhile, or the IKE SA is no longer established. */
        @Override
        public List<Payload> buildRequest(int messageId) {
            old = ikeSa.childByInbound(oldInbound);
            if (old == null || replaced.contains(oldInbound) || ikeSa.state() != State.ESTABLISHED) {
                return null;
            }
            offer = childOffer(forcedGroup, new Payload.Notify(Payload.Proposal.PROTOCOL_ESP,
                    WireBytes.u32(oldInbound), NotifyType.REKEY_SA, new byte[0]), old.localTs(), old.remoteTs());
            childRekeyInFlight = oldInbound;
            LOG.info("tunnel {}: rekeying Child SA {}{}", ikeSa.name(), hex32(oldInbound), offer.pfs());
            return offer.payloads();
        }

        @Override
        public void processResponse(IkeMessage response) {
            onChildRekeyResponse(old, offer.newSpi(), offer.nonce(), offer.kx(), response);
        }
    }

    private void onChildRekeyResponse(Child old, int newSpi, byte[] nonceI, KeyExchange kx, IkeMessage r) {
        childRekeyInFlight = null;
        RekeyExchange theirs = peerChildRekeys.remove(old.inboundSpi());
        PeerMultiKeRekey theirsPending = peerMultiKeRekeys.remove(old.inboundSpi());
        TunnelDefinition t = ikeSa.tunnel().definition();
        Optional<Payload.Notify> error = r.notifies().filter(Payload.Notify::isError).findFirst();
        Optional<EspChoice> choice = r.first(Payload.Sa.class).flatMap(sa -> ProposalMatcher.acceptEspAnswer(sa, t.espProposals(), kx != null));
        Optional<Payload.Nonce> nonceR = r.first(Payload.Nonce.class);
        Optional<Payload.KeyExchange> ke = r.first(Payload.KeyExchange.class);
        if (error.isPresent() || choice.isEmpty() || nonceR.isEmpty() || (kx != null && ke.isEmpty())) {
            engine.releaseChildSpi(newSpi);
            int type = error.map(Payload.Notify::notifyType).orElse(-1);
            if (theirs != null) {
                replaced.add(old.inboundSpi()); // ours failed, the peer's rekey of the same SA stands; it deletes the old one
                return;
            }
            if (theirsPending != null) {
                return; // ours failed (the peer won and answered TEMPORARY_FAILURE): the peer's rekey goes on and replaces it
            }
            if (ikeSa.state() != State.ESTABLISHED || ikeSa.childByInbound(old.inboundSpi()) == null || replaced.contains(old.inboundSpi())) {
                return; // the child is gone or already replaced: nothing to retry
            }
            if (type == NotifyType.TEMPORARY_FAILURE) {
                LOG.info("tunnel {}: peer answered the Child SA rekey with TEMPORARY_FAILURE; retrying", ikeSa.name());
                ikeSa.retryLater(() -> rekeyChild(old.inboundSpi(), null));
            } else if (type == NotifyType.INVALID_KE_PAYLOAD && error.get().data().length == 2) {
                int wanted = WireBytes.u16(error.get().data());
                t.espProposals().stream().flatMap(p -> p.groups().stream()).filter(g -> g.id == wanted).findFirst()
                        .ifPresentOrElse(g -> rekeyChild(old.inboundSpi(), g),
                                () -> ikeSa.tunnel().noteError(FailureReason.REKEY_FAILED, "peer wants PFS group " + wanted + " for the Child SA rekey"));
            } else if (type == NotifyType.CHILD_SA_NOT_FOUND) {
                // The peer no longer has it (deleted, its DELETE crossing our request): its own DELETE follows or DPD cleans up.
                LOG.warn("tunnel {}: peer answered the rekey of Child SA {} with CHILD_SA_NOT_FOUND", ikeSa.name(), hex32(old.inboundSpi()));
                ikeSa.tunnel().noteError(FailureReason.REKEY_FAILED, "Child SA rekey failed: the peer does not know Child SA " + hex32(old.inboundSpi())
                        + " (CHILD_SA_NOT_FOUND)");
            } else {
                String why = error.map(n -> NotifyType.name(n.notifyType())).orElse("an answer without SA, Nr or KE");
                LOG.warn("tunnel {}: Child SA rekey failed: {}", ikeSa.name(), why);
                ikeSa.tunnel().noteError(FailureReason.REKEY_FAILED, "Child SA rekey failed: " + why);
            }
            return;
        }
        if (ikeSa.state() != State.ESTABLISHED) {
            engine.releaseChildSpi(newSpi);
            return;
        }
        byte[] shared = null;
        if (kx != null) {
            try {
                if (ke.get().group() != kx.group().id) {
                    throw new GeneralSecurityException("group mismatch");
                }
                shared = kx.sharedSecret(ke.get().data());
            } catch (GeneralSecurityException e) {
                engine.releaseChildSpi(newSpi);
                ikeSa.tunnel().noteError(FailureReason.REKEY_FAILED, "peer's key exchange value in the Child SA rekey is invalid");
                return;
            }
        }
        List<Payload.TrafficSelector> tsi = r.all(Payload.TrafficSelectors.class).filter(Payload.TrafficSelectors::initiator)
                .findFirst().map(Payload.TrafficSelectors::selectors).orElse(old.localTs());
        List<Payload.TrafficSelector> tsr = r.all(Payload.TrafficSelectors.class).filter(x -> !x.initiator())
                .findFirst().map(Payload.TrafficSelectors::selectors).orElse(old.remoteTs());
        if (theirsPending != null && !choice.get().additionalKes().isEmpty() && lostMultiKeCollision(old, newSpi, nonceI,
                nonceR.get().data(), theirsPending)) {
            return;
        }
        ChildRekey rekey = new ChildRekey(old, null, newSpi, choice.get(), secretsFrom(shared), nonceI, nonceR.get().data(),
                tsi, tsr, theirs);
        continueChildExchange(rekey, r, () -> {
            engine.releaseChildSpi(newSpi);
            ikeSa.tunnel().noteError(FailureReason.REKEY_FAILED, "peer chose additional key exchanges but sent no ADDITIONAL_KEY_EXCHANGE link");
        });
    }

    /**
     * RFC 9370 section 2.2.4, as strongSwan 6 does: simultaneous multi-KE rekeys of one Child SA are settled right
     * after the CREATE_CHILD_SA exchanges, by the nonces (RFC 7296 section 2.8.1). The loser stops before any
     * IKE_FOLLOWUP_KE; the winner drops the loser's exchange and goes on. Returns whether we lost.
     */
    private boolean lostMultiKeCollision(Child old, int newSpi, byte[] nonceI, byte[] nonceR, PeerMultiKeRekey theirs) {
        engine.listener().rekeyCollision(ikeSa.name(), "child");
        if (Lifetimes.oursIsRedundant(Lifetimes.minNonce(nonceI, nonceR), theirs.minNonce())) {
            LOG.info("tunnel {}: Child SA rekey collision, ours {} is redundant: abandoning it before IKE_FOLLOWUP_KE",
                    ikeSa.name(), hex32(newSpi));
            engine.releaseChildSpi(newSpi);
            return true; // the peer's rekey goes on; when it completes, the peer deletes the old SA
        }
        LOG.info("tunnel {}: Child SA rekey collision, ours {} wins: continuing with IKE_FOLLOWUP_KE", ikeSa.name(),
                hex32(newSpi));
        theirs.abandon().run();
        return false;
    }

    /** The key exchange secrets of a Child SA exchange so far: the CREATE_CHILD_SA one, if it had a KE. */
    private static List<byte[]> secretsFrom(byte[] shared) {
        List<byte[]> secrets = new ArrayList<>();
        if (shared != null) {
            secrets.add(shared);
        }
        return secrets;
    }

    /**
     * After each key exchange of a Child SA rekey or creation: the next IKE_FOLLOWUP_KE while additional ones remain
     * (RFC 9370 section 2.2.4), else the new Child SA. missingLink runs when the answer lacks the link to the next one.
     */
    private void continueChildExchange(ChildRekey rekey, IkeMessage answer, Runnable missingLink) {
        List<Algorithms.Group> additional = rekey.esp().additionalKes();
        if (additional.isEmpty() || rekey.secrets().size() > additional.size()) {
            finishChildRekey(rekey);
            return;
        }
        Optional<Payload.Notify> link = answer.notify(NotifyType.ADDITIONAL_KEY_EXCHANGE);
        if (link.isEmpty()) {
            missingLink.run();
            return;
        }
        sendFollowupKe(rekey, link.get().data());
    }

    /**
     * Our Child SA rekey (old set) or creation (pair set) between CREATE_CHILD_SA and its last IKE_FOLLOWUP_KE
     * (RFC 9370 section 2.2.4).
     */
    private record ChildRekey(Child old, SubnetPairs.Pair pair, int newSpi, EspChoice esp, List<byte[]> secrets, byte[] nonceI, byte[] nonceR,
                              List<Payload.TrafficSelector> tsi, List<Payload.TrafficSelector> tsr, RekeyExchange theirs) {
    }

    /** The next additional key exchange of a Child SA rekey, linked to the previous exchange by the peer's token. */
    private void sendFollowupKe(ChildRekey rekey, byte[] link) {
        Algorithms.Group group = rekey.esp().additionalKes().get(rekey.secrets().size() - 1);
        if (rekey.old() != null) {
            rekeyInFollowups = rekey.old().inboundSpi();
        }
        kes.sendFollowupKe(group, link, "Child SA", (shared, r) -> onFollowupKeResponse(rekey, shared, r));
    }

    private void onFollowupKeResponse(ChildRekey rekey, byte[] shared, IkeMessage r) {
        rekeyInFollowups = null; // set again by the next IKE_FOLLOWUP_KE, if one follows
        Optional<Payload.Notify> error = r.notifies().filter(Payload.Notify::isError).findFirst();
        if (shared == null || ikeSa.state() != State.ESTABLISHED) {
            engine.releaseChildSpi(rekey.newSpi());
            String why = error.map(n -> NotifyType.name(n.notifyType())).orElse("no valid KEr");
            if (rekey.pair() != null) {
                childCreateFailed(rekey.pair(), FailureReason.CHILD_FAILED, "IKE_FOLLOWUP_KE failed: " + why);
                return;
            }
            LOG.warn("tunnel {}: IKE_FOLLOWUP_KE of the Child SA rekey failed: {}", ikeSa.name(), why);
            if (ikeSa.tunnel() != null) {
                ikeSa.tunnel().noteError(FailureReason.REKEY_FAILED, "IKE_FOLLOWUP_KE failed: " + why);
            }
            return;
        }
        rekey.secrets().add(shared);
        continueChildExchange(rekey, r, () -> {
            engine.releaseChildSpi(rekey.newSpi());
            if (rekey.pair() != null) {
                childCreateFailed(rekey.pair(), FailureReason.CHILD_FAILED, "IKE_FOLLOWUP_KE response without the link to the next exchange");
                return;
            }
            ikeSa.tunnel().noteError(FailureReason.REKEY_FAILED, "IKE_FOLLOWUP_KE response without the link to the next exchange");
        });
    }

    private void finishChildRekey(ChildRekey rekey) {
        if (rekey.old() == null) {
            finishChildCreate(rekey);
            return;
        }
        Child old = rekey.old();
        int newSpi = rekey.newSpi();
        byte[] nonceI = rekey.nonceI();
        RekeyExchange theirs = rekey.theirs();
        Child created = ikeSa.installChild(newSpi, rekey.esp(), rekey.secrets(), nonceI, rekey.nonceR(), true, rekey.tsi(), rekey.tsr());
        engine.listener().childRekey(ikeSa.name());
        replaced.add(old.inboundSpi());
        if (theirs != null && ikeSa.childByInbound(theirs.child().inboundSpi()) != null) {
            engine.listener().rekeyCollision(ikeSa.name(), "child");
            if (Lifetimes.oursIsRedundant(Lifetimes.minNonce(nonceI, rekey.nonceR()), theirs.minNonce())) {
                LOG.info("tunnel {}: Child SA rekey collision, ours {} is redundant: deleting it", ikeSa.name(), hex32(newSpi));
                deleteChild(created);
                return; // the peer, whose rekey won, deletes the old SA
            }
            LOG.info("tunnel {}: Child SA rekey collision, ours {} wins", ikeSa.name(), hex32(newSpi));
        }
        deleteChild(old);
    }

    /** Deletes one Child SA with INFORMATIONAL (section 1.4.1); it leaves the datapath when the peer answers. */
    void deleteChild(Child c) {
        deleting.add(c);
        tasks.queue(IkeTask.of(ExchangeType.INFORMATIONAL, () -> ikeSa.state() != State.ESTABLISHED || !ikeSa.children().contains(c) ? null
                : List.of(new Payload.Delete(Payload.Proposal.PROTOCOL_ESP, 4, List.of(WireBytes.u32(c.inboundSpi())))), r -> {
            if (ikeSa.children().contains(c)) {
                ikeSa.removeChild(c);
            }
        }));
    }

    /**
     * Starts a CREATE_CHILD_SA for the next subnet pair of the tunnel that no Child SA carries and that this IKE SA has
     * not tried yet; one exchange at a time. When none is left, tells the tunnel which pairs stay without a Child SA.
     */
    void createMissingChildren() {
        if (!ikeSa.drivesAdditionalChildren() || ikeSa.state() != State.ESTABLISHED || childCreateInFlight || ikeSa.tunnel() == null) {
            return;
        }
        Optional<SubnetPairs.Pair> next = uncoveredPairs().stream().filter(p -> !triedPairs.contains(p)).findFirst();
        if (next.isEmpty()) {
            ikeSa.tunnel().noteMissingChildren(ikeSa, refusedPairs.values().stream().toList());
            return;
        }
        triedPairs.add(next.get());
        createChild(next.get(), null);
    }

    /** The tunnel's subnet pairs that none of this IKE SA's Child SAs carries. */
    private List<SubnetPairs.Pair> uncoveredPairs() {
        TunnelDefinition t = ikeSa.tunnel().definition();
        return SubnetPairs.uncovered(t.localSubnets(), t.remoteSubnets(), ikeSa.children().stream().map(SubnetPairs.Carried::of).toList());
    }

    /** Asks the peer for a Child SA carrying exactly one subnet pair, with PFS when the ESP proposals name a group. */
    private void createChild(SubnetPairs.Pair pair, Algorithms.Group forcedGroup) {
        childCreateInFlight = true; // set now: a peer's IKE rekey arriving while this waits in the queue gets TEMPORARY_FAILURE
        tasks.queue(new ChildCreateTask(pair, forcedGroup));
    }

    /** Our CREATE_CHILD_SA for an additional Child SA, like strongSwan's child_create task as initiator. */
    private final class ChildCreateTask extends IkeTask.CreateChildSa {
        private final SubnetPairs.Pair pair;
        private final Algorithms.Group forcedGroup;
        private final List<Payload.TrafficSelector> tsi;
        private final List<Payload.TrafficSelector> tsr;
        private ChildOffer offer;

        ChildCreateTask(SubnetPairs.Pair pair, Algorithms.Group forcedGroup) {
            this.pair = pair;
            this.forcedGroup = forcedGroup;
            this.tsi = List.of(TrafficSelectors.of(pair.local()));
            this.tsr = List.of(TrafficSelectors.of(pair.remote()));
        }

        @Override
        public List<Payload> buildRequest(int messageId) {
            if (ikeSa.state() != State.ESTABLISHED) {
                childCreateInFlight = false;
                return null;
            }
            offer = childOffer(forcedGroup, null, tsi, tsr);
            LOG.info("tunnel {}: creating an additional Child SA for {}{}", ikeSa.name(), pair.describe(), offer.pfs());
            return offer.payloads();
        }

        @Override
        public void processResponse(IkeMessage response) {
            onChildCreateResponse(pair, offer.newSpi(), offer.nonce(), offer.kx(), tsi, tsr, response);
        }
    }

    private void onChildCreateResponse(SubnetPairs.Pair pair, int newSpi, byte[] nonceI, KeyExchange kx,
                                       List<Payload.TrafficSelector> offeredI, List<Payload.TrafficSelector> offeredR, IkeMessage r) {
        TunnelDefinition t = ikeSa.tunnel().definition();
        Optional<Payload.Notify> error = r.notifies().filter(Payload.Notify::isError).findFirst();
        if (ikeSa.state() != State.ESTABLISHED) {
            childCreateInFlight = false;
            engine.releaseChildSpi(newSpi);
            return;
        }
        if (error.isPresent()) {
            engine.releaseChildSpi(newSpi);
            int type = error.get().notifyType();
            byte[] d = error.get().data();
            if (type == NotifyType.TEMPORARY_FAILURE && temporaryFailures.merge(pair, 1, Integer::sum) <= MAX_TEMPORARY_FAILURES) {
                LOG.info("tunnel {}: peer answered the Child SA creation for {} with TEMPORARY_FAILURE; retrying", ikeSa.name(), pair.describe());
                ikeSa.retryLater(() -> createChild(pair, null));
                return; // childCreateInFlight stays set until the retry is answered
            }
            if (type == NotifyType.INVALID_KE_PAYLOAD && d.length == 2 && kx != null) {
                int wanted = WireBytes.u16(d);
                Optional<Algorithms.Group> g = t.espProposals().stream().flatMap(p -> p.groups().stream())
                        .filter(x -> x.id == wanted && x != kx.group()).findFirst();
                if (g.isPresent()) {
                    LOG.info("tunnel {}: peer wants PFS group {} for the Child SA {}", ikeSa.name(), g.get(), pair.describe());
                    createChild(pair, g.get());
                    return;
                }
            }
            FailureReason reason = type == NotifyType.TS_UNACCEPTABLE ? FailureReason.TS_UNACCEPTABLE
                    : type == NotifyType.NO_PROPOSAL_CHOSEN ? FailureReason.NO_PROPOSAL : FailureReason.CHILD_FAILED;
            childCreateFailed(pair, reason, "peer answered " + NotifyType.name(type));
            return;
        }
        Optional<EspChoice> choice = r.first(Payload.Sa.class).flatMap(sa -> ProposalMatcher.acceptEspAnswer(sa, t.espProposals(), kx != null));
        Optional<Payload.Nonce> nonceR = r.first(Payload.Nonce.class);
        Optional<Payload.KeyExchange> ke = r.first(Payload.KeyExchange.class);
        List<Payload.TrafficSelector> tsi = selectors(r, true);
        List<Payload.TrafficSelector> tsr = selectors(r, false);
        String problem = choice.isEmpty() ? "an ESP proposal we did not offer"
                : nonceR.isEmpty() ? "no Nr"
                : !TrafficSelectors.isSubset(tsi, offeredI) || !TrafficSelectors.isSubset(tsr, offeredR) ? "traffic selectors outside the ones we proposed"
                : kx != null && (ke.isEmpty() || ke.get().group() != kx.group().id) ? "no KEr for the PFS group" : null;
        byte[] shared = null;
        if (problem == null && kx != null) {
            try {
                shared = kx.sharedSecret(ke.get().data());
            } catch (GeneralSecurityException e) {
                problem = "an invalid key exchange value";
            }
        }
        if (problem != null) {
            // The peer may have installed its half: ask it to delete the SA it knows by our inbound SPI (section 1.4.1).
            deleteUninstalled(newSpi);
            childCreateFailed(pair, FailureReason.CHILD_FAILED, "peer answered with " + problem);
            return;
        }
        ChildRekey create = new ChildRekey(null, pair, newSpi, choice.get(), secretsFrom(shared), nonceI, nonceR.get().data(),
                tsi, tsr, null);
        continueChildExchange(create, r, () -> {
            deleteUninstalled(newSpi);
            childCreateFailed(pair, FailureReason.CHILD_FAILED, "peer chose additional key exchanges but sent no ADDITIONAL_KEY_EXCHANGE link");
        });
    }

    private void finishChildCreate(ChildRekey create) {
        childCreateInFlight = false;
        List<SubnetPairs.Carried> before = ikeSa.children().stream().map(SubnetPairs.Carried::of).toList();
        Child created = ikeSa.installChild(create.newSpi(), create.esp(), create.secrets(), create.nonceI(), create.nonceR(), true,
                create.tsi(), create.tsr());
        refusedPairs.remove(create.pair());
        engine.listener().additionalChild(ikeSa.name(), "created");
        if (SubnetPairs.redundant(SubnetPairs.Carried.of(created), before)) {
            // The peer narrowed to selectors another Child SA already carries: a duplicate only wastes an SA.
            LOG.info("tunnel {}: the peer narrowed the Child SA for {} to {} <-> {}, which is already carried; deleting it",
                    ikeSa.name(), create.pair().describe(), TrafficSelectors.describe(created.localTs()), TrafficSelectors.describe(created.remoteTs()));
            deleteChild(created);
        }
        createMissingChildren();
    }

    /** The peer refused a pair (or the exchange failed): remembered for the status, not retried on this IKE SA. */
    private void childCreateFailed(SubnetPairs.Pair pair, FailureReason reason, String why) {
        childCreateInFlight = false;
        String message = "no Child SA for " + pair.describe() + ": " + why;
        LOG.warn("tunnel {}: {}", ikeSa.name(), message);
        refusedPairs.put(pair, message);
        engine.listener().additionalChild(ikeSa.name(), "refused");
        ikeSa.tunnel().noteError(reason, message);
        createMissingChildren();
    }

    /** DELETE for an SA the peer created but we did not install (its answer was unusable). */
    private void deleteUninstalled(int inboundSpi) {
        tasks.queue(IkeTask.of(ExchangeType.INFORMATIONAL, () -> {
            engine.releaseChildSpi(inboundSpi);
            return ikeSa.state() != State.ESTABLISHED ? null
                    : List.of(new Payload.Delete(Payload.Proposal.PROTOCOL_ESP, 4, List.of(WireBytes.u32(inboundSpi))));
        }, r -> { }));
    }

    /**
     * The peer deleted Child SAs outside a rekey (a rekey's DELETE leaves every pair covered by the new SA): a tunnel
     * we initiated asks for the subnet pairs again after 1-3 s over the same IKE SA, like strongSwan's
     * close_action = start, at most a few times per IKE SA so a peer that keeps deleting does not get a loop.
     */
    void recreateDeletedChildren() {
        if (!ikeSa.drivesAdditionalChildren() || ikeSa.tunnel().definition().passive() || recreations >= MAX_RECREATIONS) {
            return;
        }
        List<SubnetPairs.Pair> uncovered = uncoveredPairs().stream().filter(p -> !refusedPairs.containsKey(p)).toList();
        if (uncovered.isEmpty()) {
            return;
        }
        recreations++;
        uncovered.forEach(triedPairs::remove);
        LOG.info("tunnel {}: peer deleted the Child SA for {}; asking for it again", ikeSa.name(),
                uncovered.stream().map(SubnetPairs.Pair::describe).toList());
        ikeSa.retryLater(this::createMissingChildren);
    }

    void afterPeerChildCreate(Child created, Child old, byte[] nonceI, byte[] nonceR) {
        int inboundSpi = created.inboundSpi();
        if (old == null) {
            LOG.info("tunnel {}: peer added a Child SA", ikeSa.name());
            return;
        }
        engine.listener().childRekey(ikeSa.name());
        LOG.info("tunnel {}: peer rekeyed Child SA {} -> {}", ikeSa.name(), hex32(old.inboundSpi()), hex32(inboundSpi));
        if (childRekeyInFlight != null && childRekeyInFlight == old.inboundSpi()) {
            peerChildRekeys.put(old.inboundSpi(), new RekeyExchange(Lifetimes.minNonce(nonceI, nonceR), created));
        } else {
            replaced.add(old.inboundSpi()); // the peer deletes the old SA
        }
    }
}
