package dev.strait.operator.config;

import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.gateway.ike.crypto.ProposalParser;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Checks proposal strings with the gateway's own parser. Until that parser is wired in (it throws
 * UnsupportedOperationException), a token deny-list refuses the algorithms the product never allows.
 */
final class ProposalStrength {
    private static final Set<String> NEVER = Set.of("des", "3des", "blowfish", "blowfish128", "blowfish192",
            "blowfish256", "md5", "md5_128", "prfmd5", "modp768", "modp1024", "modp1536", "modp1024s160", "null");
    private static final Set<String> LEGACY = Set.of("sha1", "sha", "prfsha1", "sha1_160");

    private ProposalStrength() {
    }

    /** @return null when all proposals are acceptable, otherwise "field: problem" */
    static String problem(String at, TunnelSpec t) {
        boolean legacy = Boolean.TRUE.equals(t.legacyAlgorithms);
        if (t.ike != null && t.ike.proposals != null) {
            String p = check(at + ".ike.proposals", t.ike.proposals, legacy, true);
            if (p != null) {
                return p;
            }
        }
        if (t.esp != null && t.esp.proposals != null) {
            return check(at + ".esp.proposals", t.esp.proposals, legacy, false);
        }
        return null;
    }

    private static String check(String field, List<String> proposals, boolean legacy, boolean ike) {
        for (int i = 0; i < proposals.size(); i++) {
            String text = proposals.get(i);
            String at = field + "[" + i + "]";
            if (text == null || text.isBlank()) {
                return at + ": is empty";
            }
            try {
                if (ike) {
                    ProposalParser.parseIke(text, legacy);
                } else {
                    ProposalParser.parseEsp(text, legacy);
                }
                continue;
            } catch (IllegalArgumentException e) {
                return at + ": " + e.getMessage();
            } catch (UnsupportedOperationException notYetWired) {
                // fall through to the deny-list
            }
            for (String token : text.toLowerCase(Locale.ROOT).split("-")) {
                if (NEVER.contains(token)) {
                    return at + ": '" + token + "' in '" + text + "' is too weak and never allowed";
                }
                if (!legacy && LEGACY.contains(token)) {
                    return at + ": '" + token + "' in '" + text + "' needs legacyAlgorithms: true";
                }
                if (!token.matches("[a-z0-9_]+")) {
                    return at + ": '" + token + "' in '" + text + "' is not an algorithm name";
                }
            }
        }
        return null;
    }
}
