package dev.strait.gateway.ike.crypto;

import dev.strait.gateway.ike.crypto.Algorithms.Group;
import dev.strait.gateway.ike.crypto.Algorithms.Integ;
import dev.strait.gateway.ike.crypto.Algorithms.Prf;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * Writes proposals back in strongSwan syntax for status output ("aes256gcm16-prfsha384-modp3072"); the output parses
 * back to an equal proposal. ESP's default noesn is left out.
 */
public final class ProposalFormatter {
    private ProposalFormatter() {
    }

    public static String format(IkeProposal proposal) {
        StringJoiner out = new StringJoiner("-");
        proposal.encr().forEach(e -> out.add(token(e)));
        proposal.integ().forEach(i -> out.add(token(i)));
        proposal.prf().forEach(p -> out.add(token(p)));
        proposal.groups().forEach(g -> out.add(token(g)));
        addAdditional(out, proposal.additionalKes());
        return out.toString();
    }

    public static String format(EspProposal proposal) {
        StringJoiner out = new StringJoiner("-");
        proposal.encr().forEach(e -> out.add(token(e)));
        proposal.integ().forEach(i -> out.add(token(i)));
        proposal.groups().forEach(g -> out.add(token(g)));
        if (!proposal.esn().equals(List.of(false))) {
            proposal.esn().forEach(esn -> out.add(esn ? "esn" : "noesn"));
        }
        addAdditional(out, proposal.additionalKes());
        return out.toString();
    }

    private static void addAdditional(StringJoiner out, List<List<Group>> additionalKes) {
        for (int i = 0; i < additionalKes.size(); i++) {
            for (Group group : additionalKes.get(i)) {
                out.add("ke" + (i + 1) + "_" + token(group));
            }
        }
    }

    public static String token(IkeProposal.EncrChoice choice) {
        return switch (choice.alg()) {
            case AES_CBC -> "aes" + choice.keyBits();
            case AES_GCM_16 -> "aes" + choice.keyBits() + "gcm16";
            case CHACHA20_POLY1305 -> "chacha20poly1305";
            case CAMELLIA_CBC -> "camellia" + choice.keyBits();
        };
    }

    public static String token(Integ integ) {
        return integ.token;
    }

    public static String token(Prf prf) {
        return prf.token;
    }

    public static String token(Group group) {
        return group.token;
    }

    /** A single negotiated choice, e.g. for the status of an established SA. */
    public static String format(IkeProposal.EncrChoice encr, Integ integ, Prf prf, Group group) {
        List<String> parts = new ArrayList<>();
        parts.add(token(encr));
        if (integ != null) {
            parts.add(token(integ));
        }
        if (prf != null) {
            parts.add(token(prf));
        }
        if (group != null) {
            parts.add(token(group));
        }
        return String.join("-", parts);
    }
}
