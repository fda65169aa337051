package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.message.WireBytes;
import dev.strait.gateway.ike.crypto.Algorithms.Encr;
import dev.strait.gateway.ike.crypto.Algorithms.Group;
import dev.strait.gateway.ike.crypto.Algorithms.Integ;
import dev.strait.gateway.ike.crypto.Algorithms.Prf;
import dev.strait.gateway.ike.crypto.EspProposal;
import dev.strait.gateway.ike.crypto.IkeProposal;
import dev.strait.gateway.ike.crypto.ProposalFormatter;
import dev.strait.gateway.ike.crypto.IkeProposal.EncrChoice;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.message.TransformId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Turns configured proposals into SA payloads and picks one proposal out of a peer's offer (RFC 7296 section 3.3). */
public final class ProposalMatcher {
    private ProposalMatcher() {
    }

    /** Transform types 6..12: ADDKE1..ADDKE7 (RFC 9370 section 2.2.1). */
    static final int MAX_ADDITIONAL_KES = 7;

    /**
     * The algorithms chosen for an IKE SA. integ is null for AEAD. additionalKes: the RFC 9370 key exchanges that follow
     * in IKE_INTERMEDIATE exchanges, in order (ADDKE1 first); empty for a classical SA.
     */
    public record IkeChoice(EncrChoice encr, Prf prf, Integ integ, Group group, List<Group> additionalKes, Payload.Proposal wire) {
        public IkeChoice {
            additionalKes = List.copyOf(additionalKes);
        }

        public String describe() {
            StringBuilder s = new StringBuilder(ProposalFormatter.token(encr) + (integ == null ? "" : "-" + ProposalFormatter.token(integ)) + "-"
                    + ProposalFormatter.token(prf) + "-" + ProposalFormatter.token(group));
            for (int i = 0; i < additionalKes.size(); i++) {
                s.append("-ke").append(i + 1).append('_').append(ProposalFormatter.token(additionalKes.get(i)));
            }
            return s.toString();
        }
    }

    /** The algorithms chosen for a Child SA; group null without PFS; peerSpi is the SPI in the chosen proposal. */
    public record EspChoice(EncrChoice encr, Integ integ, Group group, List<Group> additionalKes, boolean esn, int peerSpi,
                            Payload.Proposal wire) {
        public EspChoice {
            additionalKes = List.copyOf(additionalKes);
        }

        public String describe() {
            StringBuilder adds = new StringBuilder();
            for (int i = 0; i < additionalKes.size(); i++) {
                adds.append("-ke").append(i + 1).append('_').append(ProposalFormatter.token(additionalKes.get(i)));
            }
            return ProposalFormatter.token(encr) + (integ == null ? "" : "-" + ProposalFormatter.token(integ)) + (group == null ? "" : "-" + ProposalFormatter.token(group))
                    + adds + (esn ? "-esn" : "");
        }
    }

    public static List<Payload.Proposal> ikeOffer(List<IkeProposal> ours, byte[] spi) {
        List<Payload.Proposal> out = new ArrayList<>();
        for (IkeProposal p : ours) {
            List<Payload.Transform> t = new ArrayList<>();
            p.encr().forEach(e -> t.add(encrTransform(e)));
            p.prf().forEach(f -> t.add(new Payload.Transform(Payload.Transform.TYPE_PRF, f.id, null)));
            p.integ().forEach(i -> t.add(new Payload.Transform(Payload.Transform.TYPE_INTEG, i.id, null)));
            p.groups().forEach(g -> t.add(new Payload.Transform(Payload.Transform.TYPE_KE, g.id, null)));
            for (int i = 0; i < p.additionalKes().size(); i++) {
                int type = Payload.Transform.TYPE_ADDITIONAL_KE_1 + i;
                p.additionalKes().get(i).forEach(g -> t.add(new Payload.Transform(type, g.id, null)));
            }
            out.add(new Payload.Proposal(out.size() + 1, Payload.Proposal.PROTOCOL_IKE, spi, t));
        }
        return out;
    }

    /** ESP offer; withKe=false for the Child SA of IKE_AUTH, which never carries a key exchange. */
    public static List<Payload.Proposal> espOffer(List<EspProposal> ours, int spi, boolean withKe) {
        List<Payload.Proposal> out = new ArrayList<>();
        byte[] spiBytes = WireBytes.u32(spi);
        for (EspProposal p : ours) {
            List<Payload.Transform> t = new ArrayList<>();
            p.encr().forEach(e -> t.add(encrTransform(e)));
            p.integ().forEach(i -> t.add(new Payload.Transform(Payload.Transform.TYPE_INTEG, i.id, null)));
            if (withKe) {
                p.groups().forEach(g -> t.add(new Payload.Transform(Payload.Transform.TYPE_KE, g.id, null)));
                for (int i = 0; i < p.additionalKes().size(); i++) {
                    int type = Payload.Transform.TYPE_ADDITIONAL_KE_1 + i;
                    p.additionalKes().get(i).forEach(g -> t.add(new Payload.Transform(type, g.id, null)));
                }
            }
            p.esn().forEach(e -> t.add(new Payload.Transform(Payload.Transform.TYPE_ESN, TransformId.esn(e), null)));
            out.add(new Payload.Proposal(out.size() + 1, Payload.Proposal.PROTOCOL_ESP, spiBytes, t));
        }
        return out;
    }

    /**
     * Picks the first of the peer's proposals (their preference order) that one of ours accepts.
     * With preferGroup set, a proposal whose group equals it wins over one that would need INVALID_KE_PAYLOAD.
     */
    public static Optional<IkeChoice> selectIke(List<Payload.Proposal> offered, List<IkeProposal> ours, Integer preferGroup) {
        Optional<IkeChoice> fallback = Optional.empty();
        for (Payload.Proposal p : offered) {
            if (p.protocolId() != Payload.Proposal.PROTOCOL_IKE) {
                continue;
            }
            for (IkeProposal o : ours) {
                Optional<EncrChoice> e = pickEncr(p, o.encr());
                Optional<Prf> f = pick(p, Payload.Transform.TYPE_PRF, o.prf(), x -> x.id);
                List<Group> groups = new ArrayList<>(o.groups());
                if (preferGroup != null) {
                    groups.sort((a, b) -> Boolean.compare(b.id == preferGroup, a.id == preferGroup));
                }
                Optional<Group> g = pick(p, Payload.Transform.TYPE_KE, groups, x -> x.id);
                if (e.isEmpty() || f.isEmpty() || g.isEmpty()) {
                    continue;
                }
                Optional<IntegPick> i = pickInteg(p, e.get(), o.integ());
                if (i.isEmpty()) {
                    continue;
                }
                if (e.get().alg().aead && hasType(p, Payload.Transform.TYPE_INTEG) && !onlyNoneInteg(p)) {
                    continue; // AEAD with an integrity algorithm is not a valid combination
                }
                Integ integ = i.get().integ();
                Optional<List<Group>> adds = pickAdditional(p, o.additionalKes());
                if (adds.isEmpty()) {
                    continue;
                }
                IkeChoice c = new IkeChoice(e.get(), f.get(), integ, g.get(), adds.get(),
                        wire(p, e.get(), f.get(), integ, g.get(), null, adds.get()));
                if (preferGroup == null || g.get().id == preferGroup) {
                    return Optional.of(c);
                }
                if (fallback.isEmpty()) {
                    fallback = Optional.of(c);
                }
            }
        }
        return fallback;
    }

    /** Selects an ESP proposal; withKe says whether the exchange carries a KE (CREATE_CHILD_SA with PFS). */
    public static Optional<EspChoice> selectEsp(List<Payload.Proposal> offered, List<EspProposal> ours, boolean withKe) {
        for (Payload.Proposal p : offered) {
            if (p.protocolId() != Payload.Proposal.PROTOCOL_ESP || p.spi().length != 4) {
                continue;
            }
            for (EspProposal o : ours) {
                Optional<EncrChoice> e = pickEncr(p, o.encr());
                if (e.isEmpty()) {
                    continue;
                }
                Optional<IntegPick> i = pickInteg(p, e.get(), o.integ());
                if (i.isEmpty()) {
                    continue;
                }
                Integ integ = i.get().integ();
                Group group = null;
                if (withKe && !o.groups().isEmpty()) {
                    Optional<Group> g = pick(p, Payload.Transform.TYPE_KE, o.groups(), x -> x.id);
                    if (g.isEmpty()) {
                        continue;
                    }
                    group = g.get();
                } else if (withKe && hasType(p, Payload.Transform.TYPE_KE) && !onlyNoneKe(p)) {
                    continue; // peer insists on PFS that we are not configured for
                }
                // RFC 9370: additional key exchanges only with a KE (CREATE_CHILD_SA), then IKE_FOLLOWUP_KE
                Optional<List<Group>> adds = withKe && group != null ? pickAdditional(p, o.additionalKes()) : Optional.of(List.of());
                if (adds.isEmpty()) {
                    continue;
                }
                List<Boolean> esnOptions = o.esn().isEmpty() ? List.of(false) : o.esn();
                Optional<Boolean> esn = hasType(p, Payload.Transform.TYPE_ESN)
                        ? pick(p, Payload.Transform.TYPE_ESN, esnOptions, TransformId::esn)
                        : esnOptions.contains(false) ? Optional.of(false) : Optional.empty();
                if (esn.isEmpty()) {
                    continue;
                }
                return Optional.of(new EspChoice(e.get(), integ, group, adds.get(), esn.get(), WireBytes.u32(p.spi()),
                        wire(p, e.get(), null, integ, group, esn.get(), adds.get())));
            }
        }
        return Optional.empty();
    }

    /** Checks that a responder's single-proposal answer is one we offered and returns what it chose. */
    public static Optional<IkeChoice> acceptIkeAnswer(Payload.Sa answer, List<IkeProposal> ours) {
        if (answer.proposals().size() != 1) {
            return Optional.empty();
        }
        return selectIke(answer.proposals(), ours, null).filter(c -> singleOfEachType(answer.proposals().getFirst()));
    }

    public static Optional<EspChoice> acceptEspAnswer(Payload.Sa answer, List<EspProposal> ours, boolean withKe) {
        if (answer.proposals().size() != 1) {
            return Optional.empty();
        }
        return selectEsp(answer.proposals(), ours, withKe).filter(c -> singleOfEachType(answer.proposals().getFirst()));
    }

    private static boolean singleOfEachType(Payload.Proposal p) {
        return p.transforms().stream().map(Payload.Transform::transformType).distinct().count() == p.transforms().size();
    }

    private static Payload.Transform encrTransform(EncrChoice e) {
        Integer keyLength = e.alg() == Encr.CHACHA20_POLY1305 ? null : e.keyBits();
        return new Payload.Transform(Payload.Transform.TYPE_ENCR, e.alg().id, keyLength);
    }

    /** The accepted proposal as the answer carries it: one transform of each type, then the additional KEs. */
    private static Payload.Proposal wire(Payload.Proposal offered, EncrChoice e, Prf prf, Integ integ, Group g, Boolean esn,
                                         List<Group> adds) {
        List<Payload.Transform> t = new ArrayList<>();
        t.add(encrTransform(e));
        if (prf != null) {
            t.add(new Payload.Transform(Payload.Transform.TYPE_PRF, prf.id, null));
        }
        if (integ != null) {
            t.add(new Payload.Transform(Payload.Transform.TYPE_INTEG, integ.id, null));
        }
        if (g != null) {
            t.add(new Payload.Transform(Payload.Transform.TYPE_KE, g.id, null));
        }
        if (esn != null) {
            t.add(new Payload.Transform(Payload.Transform.TYPE_ESN, TransformId.esn(esn), null));
        }
        for (int i = 0; i < adds.size(); i++) {
            t.add(new Payload.Transform(Payload.Transform.TYPE_ADDITIONAL_KE_1 + i, adds.get(i).id, null));
        }
        return new Payload.Proposal(offered.number(), offered.protocolId(), offered.spi(), t);
    }

    /** Our integrity algorithm the peer offers too; null inside for an AEAD cipher, which needs none. */
    private record IntegPick(Integ integ) {
    }

    private static Optional<IntegPick> pickInteg(Payload.Proposal p, EncrChoice e, List<Integ> ours) {
        if (e.alg().aead) {
            return Optional.of(new IntegPick(null));
        }
        return pick(p, Payload.Transform.TYPE_INTEG, ours, x -> x.id).map(IntegPick::new);
    }

    private static Optional<EncrChoice> pickEncr(Payload.Proposal p, List<EncrChoice> ours) {
        for (EncrChoice e : ours) {
            for (Payload.Transform t : p.transforms()) {
                if (t.transformType() != Payload.Transform.TYPE_ENCR || t.transformId() != e.alg().id) {
                    continue;
                }
                boolean keyMatches = e.alg() == Encr.CHACHA20_POLY1305
                        ? t.keyLength() == null || t.keyLength() == 256
                        : t.keyLength() != null && t.keyLength() == e.keyBits();
                if (keyMatches) {
                    return Optional.of(e);
                }
            }
        }
        return Optional.empty();
    }

    private static <T> Optional<T> pick(Payload.Proposal p, int type, List<T> ours, java.util.function.ToIntFunction<T> id) {
        for (T o : ours) {
            for (Payload.Transform t : p.transforms()) {
                if (t.transformType() == type && t.transformId() == id.applyAsInt(o)) {
                    return Optional.of(o);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * RFC 9370: each ADDKE our proposal requires must be offered with one of our groups; an ADDKE we do not require may
     * only be offered as NONE (optional). Our parser knows no optional ADDKEs, so a classical proposal of ours matches
     * a hybrid offer only where the peer made the additional exchanges optional.
     */
    private static Optional<List<Group>> pickAdditional(Payload.Proposal p, List<List<Group>> ours) {
        List<Group> chosen = new ArrayList<>();
        for (int i = 0; i < MAX_ADDITIONAL_KES; i++) {
            int type = Payload.Transform.TYPE_ADDITIONAL_KE_1 + i;
            if (i < ours.size()) {
                Optional<Group> g = pick(p, type, ours.get(i), x -> x.id);
                if (g.isEmpty()) {
                    return Optional.empty();
                }
                chosen.add(g.get());
            } else if (hasType(p, type) && p.transforms().stream().noneMatch(t -> t.transformType() == type && t.transformId() == 0)) {
                return Optional.empty();
            }
        }
        return Optional.of(chosen);
    }

    private static boolean hasType(Payload.Proposal p, int type) {
        return p.transforms().stream().anyMatch(t -> t.transformType() == type);
    }

    private static boolean onlyNoneInteg(Payload.Proposal p) {
        return p.transforms().stream().filter(t -> t.transformType() == Payload.Transform.TYPE_INTEG).allMatch(t -> t.transformId() == 0);
    }

    private static boolean onlyNoneKe(Payload.Proposal p) {
        return p.transforms().stream().filter(t -> t.transformType() == Payload.Transform.TYPE_KE).anyMatch(t -> t.transformId() == 0);
    }
}
