package dev.strait.gateway.ike.crypto;

import dev.strait.api.validation.ProposalSyntax;
import dev.strait.gateway.ike.crypto.Algorithms.Encr;
import dev.strait.gateway.ike.crypto.Algorithms.Group;
import dev.strait.gateway.ike.crypto.Algorithms.Integ;
import dev.strait.gateway.ike.crypto.Algorithms.Prf;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Parses proposals written in strongSwan's syntax into IANA transforms. The syntax and its refusals (weak and legacy
 * algorithms, missing parts) are {@link ProposalSyntax}'s, shared with the operator; this class maps its canonical
 * tokens to the transforms, through the spelling {@link ProposalFormatter} writes them back in.
 */
public final class ProposalParser {
    private static final Map<ProposalSyntax.Cipher, IkeProposal.EncrChoice> ENCR = ProposalSyntax.ciphers().stream()
            .collect(Collectors.toUnmodifiableMap(c -> c, ProposalParser::encr));
    private static final Map<String, Integ> INTEG = byToken(Integ.values(), ProposalFormatter::token,
            ProposalSyntax.integrityTokens());
    private static final Map<String, Prf> PRF = byToken(Prf.values(), ProposalFormatter::token,
            ProposalSyntax.prfTokens());
    private static final Map<String, Group> GROUPS = byToken(Group.values(), ProposalFormatter::token,
            ProposalSyntax.groupTokens());

    private ProposalParser() {
    }

    /** @throws IllegalArgumentException with a message naming the bad token and why */
    public static IkeProposal parseIke(String text, boolean allowLegacy) {
        return parseIkeVariants(text, allowLegacy).getFirst();
    }

    /** The proposal and its variants without optional additional key exchanges: {@link ProposalSyntax#ikeVariants}. */
    public static List<IkeProposal> parseIkeVariants(String text, boolean allowLegacy) {
        return ProposalSyntax.ikeVariants(text, allowLegacy).stream().map(p -> new IkeProposal(encr(p),
                map(p.prf(), PRF), map(p.integ(), INTEG), map(p.groups(), GROUPS), additional(p))).toList();
    }

    /** @throws IllegalArgumentException with a message naming the bad token and why */
    public static EspProposal parseEsp(String text, boolean allowLegacy) {
        return parseEspVariants(text, allowLegacy).getFirst();
    }

    /** Like {@link #parseIkeVariants}, for ESP. */
    public static List<EspProposal> parseEspVariants(String text, boolean allowLegacy) {
        return ProposalSyntax.espVariants(text, allowLegacy).stream().map(p -> new EspProposal(encr(p),
                map(p.integ(), INTEG), map(p.groups(), GROUPS), p.esn(), additional(p))).toList();
    }

    private static List<IkeProposal.EncrChoice> encr(ProposalSyntax.Proposal p) {
        return p.encr().stream().map(ENCR::get).toList();
    }

    private static List<List<Group>> additional(ProposalSyntax.Proposal p) {
        return p.additionalKes().stream().map(adds -> map(adds, GROUPS)).toList();
    }

    private static <T> List<T> map(List<String> tokens, Map<String, T> byToken) {
        return tokens.stream().map(byToken::get).toList();
    }

    /** The transform ProposalFormatter writes as the cipher's token; every token of the syntax has one. */
    private static IkeProposal.EncrChoice encr(ProposalSyntax.Cipher c) {
        return Arrays.stream(Encr.values()).map(e -> new IkeProposal.EncrChoice(e, c.keyBits()))
                .filter(choice -> choice.alg().aead == c.aead() && ProposalFormatter.token(choice).equals(c.token())).findFirst()
                .orElseThrow(() -> new IllegalStateException("no transform for " + c.token()));
    }

    private static <T> Map<String, T> byToken(T[] values, Function<T, String> token, java.util.Set<String> tokens) {
        Map<String, T> out = Arrays.stream(values).collect(Collectors.toUnmodifiableMap(token, v -> v));
        if (!out.keySet().equals(tokens)) {
            throw new IllegalStateException("transforms " + out.keySet() + " do not match the syntax's " + tokens);
        }
        return out;
    }
}
